using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Previews;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;

namespace ComfySharp.Nodes.Sampling;

/// <summary>Turns sampler steps into progress reports with previews, per the prompt's preview method.</summary>
internal static class SamplerProgress
{
    private const string TaesdVariant = "taesd_preview";

    public static Action<SamplingProgress> For(NodeContext context, LatentFormat format)
    {
        Func<TorchSharp.torch.Tensor, byte[]>? encode = Previewer(context, format);
        return step =>
        {
            PreviewImage? preview = encode is null ? null : new PreviewImage(PreviewFormat.Jpeg, encode(step.Denoised));
            context.ReportProgress(step.Step + 1, step.TotalSteps, preview);
        };
    }

    /// <summary>
    /// The preview encoder for the prompt's method (FILES.md: <c>auto</c> means latent2rgb; <c>taesd</c>
    /// uses the family's TAESD decoder from <c>vae_approx</c> and falls back to latent2rgb without one),
    /// or null for no previews.
    /// </summary>
    private static Func<TorchSharp.torch.Tensor, byte[]>? Previewer(NodeContext context, LatentFormat format)
    {
        string method = context.PreviewMethod;
        if (method is not ("auto" or "latent2rgb" or "taesd"))
        {
            return null;
        }
        int maxSize = context.PreviewMaxSize;
        if (method == "taesd" && FindTaesd(context.Services, format) is { } taesd)
        {
            return x0 => taesd.EncodePreviewJpeg(x0, maxSize);
        }
        return x0 => LatentPreview.EncodeLatent2RgbJpeg(x0, format, maxSize);
    }

    /// <summary>
    /// The first <c>.safetensors</c> file of <c>vae_approx</c> whose name starts with the family's decoder
    /// name, loaded once through the model manager; null when there is none or it does not load (the
    /// preview then falls back rather than failing the sampler).
    /// </summary>
    private static TaesdDecoder? FindTaesd(IServiceProvider services, LatentFormat format)
    {
        if (format.TaesdDecoderName is not { } prefix || services.GetService(typeof(ModelFolders)) is not ModelFolders folders)
        {
            return null;
        }
        string? name = folders.List("vae_approx").FirstOrDefault(f =>
            f.StartsWith(prefix, StringComparison.Ordinal) && f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));
        if (name is null || folders.Resolve("vae_approx", name) is not { } path)
        {
            return null;
        }
        try
        {
            return services.GetService(typeof(ModelManager)) is ModelManager manager
                ? manager.GetOrLoad(path, TaesdVariant, p => TaesdDecoder.Load(p, format.Channels))
                : TaesdDecoder.Load(path, format.Channels);
        }
        catch (Exception ex) when (ex is WeightMismatchException or SafeTensorsFormatException or IOException or NotSupportedException)
        {
            return null;
        }
    }
}
