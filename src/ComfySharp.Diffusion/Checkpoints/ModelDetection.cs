using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;

namespace ComfySharp.Diffusion.Checkpoints;

/// <summary>Model families recognised from a checkpoint's keys.</summary>
public enum ModelFamily
{
    /// <summary>Stable Diffusion 1.x (CLIP-L context 768).</summary>
    Sd1,
    /// <summary>Stable Diffusion 2.x (OpenCLIP-H context 1024).</summary>
    Sd2,
    /// <summary>SDXL base (CLIP-L + CLIP-G context 2048, pooled vector).</summary>
    Sdxl,
}

/// <summary>What a checkpoint holds and how to build its networks.</summary>
/// <param name="Family">The model family.</param>
/// <param name="UNet">The UNet's architecture.</param>
/// <param name="Prediction">What the UNet predicts.</param>
/// <param name="LatentFormat">Latent constants.</param>
/// <param name="UNetPrefix">Prefix of the UNet keys in the file (empty for a standalone diffusion model).</param>
public sealed record DetectedModel(ModelFamily Family, UNetConfig UNet, ModelPrediction Prediction, LatentFormat LatentFormat, string UNetPrefix);

/// <summary>
/// Recognises the architecture from key names and shapes alone, as the reference does, so no config
/// file is needed. New families add a rule to <see cref="DetectUNet"/>.
/// </summary>
public static class ModelDetection
{
    /// <summary>Prefix of UNet keys in a full checkpoint.</summary>
    public const string CheckpointUNetPrefix = "model.diffusion_model.";

    /// <summary>Prefix of VAE keys in a full checkpoint.</summary>
    public const string CheckpointVaePrefix = "first_stage_model.";

    /// <summary>
    /// Detects the UNet under <paramref name="prefix"/> from the key → shape map, or returns null when the
    /// keys are not an LDM UNet this server knows.
    /// </summary>
    public static DetectedModel? DetectUNet(IReadOnlyDictionary<string, long[]> shapes, string prefix)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!shapes.TryGetValue(prefix + "input_blocks.0.0.weight", out long[]? convIn) || convIn.Length != 4)
        {
            return null;
        }
        long? context = FindContextDim(shapes, prefix);
        bool hasLabel = shapes.ContainsKey(prefix + "label_emb.0.0.weight");
        bool linearProj = shapes.TryGetValue(prefix + "input_blocks.1.1.proj_in.weight", out long[]? projIn) && projIn.Length == 2;
        if (convIn[0] != 320 || convIn[1] != 4)
        {
            return null;
        }
        return (context, hasLabel, linearProj) switch
        {
            (768, false, false) => new DetectedModel(ModelFamily.Sd1, UNetConfig.Sd15, ModelPrediction.Epsilon, LatentFormats.Sd15, prefix),
            // SD2 768-v and 512-base share keys; the v-prediction variant is the common one.
            (1024, false, true) => new DetectedModel(ModelFamily.Sd2, UNetConfig.Sd2, ModelPrediction.Velocity, LatentFormats.Sd15, prefix),
            (2048, true, true) => new DetectedModel(ModelFamily.Sdxl, UNetConfig.Sdxl, ModelPrediction.Epsilon, LatentFormats.Sdxl, prefix),
            _ => null,
        };
    }

    private static long? FindContextDim(IReadOnlyDictionary<string, long[]> shapes, string prefix)
    {
        foreach (var (key, shape) in shapes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(".attn2.to_k.weight", StringComparison.Ordinal) && shape.Length == 2)
            {
                return shape[1];
            }
        }
        return null;
    }
}
