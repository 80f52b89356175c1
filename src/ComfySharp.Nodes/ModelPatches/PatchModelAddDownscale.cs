using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;
using SamplingSchedule = ComfySharp.Diffusion.Sampling.ModelSamplingDiscrete;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Kohya Deep Shrink: early in sampling, the UNet works at a smaller size after one input block, which keeps large images coherent.</summary>
public sealed class PatchModelAddDownscale : ComfyNode
{
    private static readonly string[] DeepShrinkMethods = ["bicubic", "nearest-exact", "bilinear", "area", "bislerp"];

    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Input block after which the hidden state shrinks.</summary>
    public static readonly IntInput BlockNumber = new("block_number") { Default = 3, Min = 1, Max = 32, Step = 1 };
    /// <summary>Shrink factor.</summary>
    public static readonly FloatInput DownscaleFactor = new("downscale_factor") { Default = 2.0, Min = 0.1, Max = 9.0, Step = 0.001 };
    /// <summary>Sampling progress where shrinking starts.</summary>
    public static readonly FloatInput StartPercent = new("start_percent") { Default = 0.0, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>Sampling progress where shrinking ends.</summary>
    public static readonly FloatInput EndPercent = new("end_percent") { Default = 0.35, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>Shrink after the block's output is kept for its skip connection.</summary>
    public static readonly BooleanInput DownscaleAfterSkip = new("downscale_after_skip") { Default = true };
    /// <summary>Shrinking method.</summary>
    public static readonly ComboInput DownscaleMethod = new("downscale_method", DeepShrinkMethods);
    /// <summary>Growing method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", DeepShrinkMethods);

    private static readonly NodeSchema Definition = PatchSupport.Schema(
        "PatchModelAddDownscale", "model_patches/unet", "comfy_extras.nodes_model_downscale",
        [Model, BlockNumber, DownscaleFactor, StartPercent, EndPercent, DownscaleAfterSkip, DownscaleMethod, UpscaleMethod])
        with { DisplayName = "PatchModelAddDownscale (Kohya Deep Shrink)" };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelPatcher model = inputs.Get(Model);
        PatchSupport.ModelChannels(model, "PatchModelAddDownscale");
        var sampling = SamplingSchedule.For(model);
        double sigmaStart = sampling.PercentToSigma(inputs.Get(StartPercent));
        double sigmaEnd = sampling.PercentToSigma(inputs.Get(EndPercent));
        int block = (int)inputs.Get(BlockNumber);
        double factor = inputs.Get(DownscaleFactor);
        bool afterSkip = inputs.Get(DownscaleAfterSkip);
        string down = inputs.Get(DownscaleMethod), up = inputs.Get(UpscaleMethod);
        return ValueTask.FromResult(NodeOutput.Of(model.WithOptions(o => DeepShrinkPatch.Apply(o, block, factor, sigmaStart, sigmaEnd, afterSkip, down, up))));
    }
}
