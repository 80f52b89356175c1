using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Resizes latents to (width / 8, height / 8), each side at least 64 pixels; 0 keeps the aspect ratio.</summary>
public sealed class LatentUpscale : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Resampling method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", Resampling.LatentMethods) { OneElementSpec = true };
    /// <summary>Target width in pixels.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Target height in pixels.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Crop mode.</summary>
    public static readonly ComboInput Crop = new("crop", Resampling.CropModes) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentUpscale",
        DisplayName = "Upscale Latent",
        Category = "latent",
        Required = [Samples, UpscaleMethod, Width, Height, Crop],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        long width = inputs.Get(Width), height = inputs.Get(Height);
        if (width == 0 && height == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(latent));
        }
        long w = latent.Samples.shape[^1], h = latent.Samples.shape[^2];
        if (width == 0)
        {
            height = Math.Max(64, height);
            width = Math.Max(64, (long)Math.Round(w * (double)height / h));
        }
        else if (height == 0)
        {
            width = Math.Max(64, width);
            height = Math.Max(64, (long)Math.Round(h * (double)width / w));
        }
        else
        {
            width = Math.Max(64, width);
            height = Math.Max(64, height);
        }
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "LatentUpscale", [.. latent.Samples.shape[..^2], height / 8, width / 8]);
        Tensor samples = Resampling.CommonUpscale(latent.Samples, width / 8, height / 8, inputs.Get(UpscaleMethod), inputs.Get(Crop));
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = samples }));
    }
}
