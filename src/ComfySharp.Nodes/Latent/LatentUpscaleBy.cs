using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Resizes latents by a factor: round(w × scale_by) × round(h × scale_by) latent pixels.</summary>
public sealed class LatentUpscaleBy : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Resampling method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", Resampling.LatentMethods) { OneElementSpec = true };
    /// <summary>The factor.</summary>
    public static readonly FloatInput ScaleBy = new("scale_by") { Default = 1.5, Min = 0.01, Max = 8.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentUpscaleBy",
        DisplayName = "Upscale Latent By",
        Category = "latent",
        Required = [Samples, UpscaleMethod, ScaleBy],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        double scale = inputs.Get(ScaleBy);
        long width = (long)Math.Round(latent.Samples.shape[^1] * scale);
        long height = (long)Math.Round(latent.Samples.shape[^2] * scale);
        ArgumentNullException.ThrowIfNull(context);
        long[] shape = latent.Samples.shape;
        SizeLimits.EnsureAllocatable(context.Services, "LatentUpscaleBy", [.. shape[..^2], height, width]);
        Tensor samples = Resampling.CommonUpscale(latent.Samples, width, height, inputs.Get(UpscaleMethod), "disabled");
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = samples }));
    }
}
