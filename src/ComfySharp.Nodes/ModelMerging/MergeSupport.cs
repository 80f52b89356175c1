using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>What the model-merging nodes share: schema pieces, block ratios and CLIP merging.</summary>
internal static class MergeSupport
{
    public const string Module = "comfy_extras.nodes_model_merging";
    public const string Category = "advanced/model_merging";
    public const string ModelSpecificModule = "comfy_extras.nodes_model_merging_model_specific";
    public const string ModelSpecificCategory = "advanced/model_merging/model_specific";

    public static SocketInput<ModelPatcher> Model(string name) => new(name, IOTypes.MODEL) { OneElementSpec = true };

    public static SocketInput<object> Clip(string name) => new(name, IOTypes.CLIP) { OneElementSpec = true };

    public static FloatInput Ratio(string name) => new(name) { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    public static FloatInput Multiplier() => new("multiplier") { Default = 1.0, Min = -10.0, Max = 10.0, Step = 0.01 };

    public static NodeSchema Schema(string classType, IReadOnlyList<InputSpec> required, string output, string category = Category, string module = Module) => new()
    {
        ClassType = classType,
        Category = category,
        PythonModule = module,
        Required = required,
        Outputs = [new OutputSpec(output)],
    };

    /// <summary>Merges two MODELs block by block: key k becomes r·w₁ + (1 − r)·w₂ with r its block's ratio.</summary>
    public static ModelPatcher MergeBlocks(ModelPatcher model1, ModelPatcher model2, IReadOnlyList<(string Prefix, double Ratio)> blocks) =>
        WeightMerging.MergeModels(model1, model2, key =>
        {
            double r = ModelMergeBlocks.BlockRatio(key, blocks);
            return (r, 1.0 - r);
        });

    /// <summary>Merges two CLIPs (SD1 text encoders): key k becomes a·w₁ + b·w₂; position ids and logit scale are kept.</summary>
    public static ClipModel MergeClips(object clip1, object clip2, double a, double b)
    {
        if (clip1 is not ClipModel target || clip2 is not ClipModel source)
        {
            throw new NotSupportedException($"CLIP merging supports single CLIP text encoders; got {clip1.GetType().Name} and {clip2.GetType().Name}.");
        }
        var sourceWeights = WeightMerging.Weights(source.Encoder);
        var patches = WeightMerging.Merge(
            WeightMerging.Shapes(WeightMerging.Weights(target.Encoder)), WeightMerging.Shapes(sourceWeights), key => sourceWeights[key], source.Patches,
            key => key.EndsWith(".position_ids", StringComparison.Ordinal) || key.EndsWith(".logit_scale", StringComparison.Ordinal) ? null : (a, b));
        return target.WithPatches(patches);
    }
}
