using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Previews;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling;

/// <summary>Turns sampler steps into progress reports with previews, per the prompt's preview method.</summary>
internal static class SamplerProgress
{
    public static Action<SamplingProgress> For(NodeContext context, LatentFormat format)
    {
        string method = context.PreviewMethod;
        bool previews = method is "auto" or "latent2rgb" or "taesd";
        int maxSize = context.PreviewMaxSize;
        return step =>
        {
            PreviewImage? preview = null;
            if (previews)
            {
                // TAESD is not available here; the reference falls back to latent2rgb then.
                byte[] jpeg = LatentPreview.EncodeLatent2RgbJpeg(step.Denoised, format, maxSize);
                preview = new PreviewImage(PreviewFormat.Jpeg, jpeg);
            }
            context.ReportProgress(step.Step + 1, step.TotalSteps, preview);
        };
    }
}
