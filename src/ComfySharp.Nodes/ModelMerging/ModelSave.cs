using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Saves the diffusion model alone (keys under <c>model.diffusion_model.</c>) with its patches baked in.</summary>
public sealed class ModelSave : ComfyNode
{
    /// <summary>The diffusion model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = ModelSaving.Model();
    /// <summary>Path and name start under the output folder.</summary>
    public static readonly StringInput FilenamePrefix = ModelSaving.FilenamePrefix("diffusion_models/ComfyUI");

    private static readonly NodeSchema Definition = ModelSaving.Schema("ModelSave", null, [Model, FilenamePrefix]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelSaving.Save(context, inputs.Get(FilenamePrefix), tensors => ModelSaving.AddUNet(tensors, inputs.Get(Model)));
        return ValueTask.FromResult(ModelSaving.Done());
    }
}
