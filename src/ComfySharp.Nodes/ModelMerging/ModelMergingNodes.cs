using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Registers the model-merging nodes.</summary>
public static class ModelMergingNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<ModelMergeSimple>();
        registry.Add<ModelMergeBlocks>();
        registry.Add<ModelMergeSubtract>();
        registry.Add<ModelMergeAdd>();
        registry.Add<CLIPMergeSimple>();
        registry.Add<CLIPMergeSubtract>();
        registry.Add<CLIPMergeAdd>();
        registry.Add<ModelMergeSD1>();
        registry.Add<ModelMergeSD2>();
        registry.Add<ModelMergeSDXL>();
        registry.Add<CheckpointSave>();
        registry.Add<CLIPSave>();
        registry.Add<VAESave>();
        registry.Add<ModelSave>();
    }
}
