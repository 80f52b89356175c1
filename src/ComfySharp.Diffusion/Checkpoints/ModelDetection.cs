using System.Globalization;
using System.Text.RegularExpressions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using static TorchSharp.torch;

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
    /// <summary>SDXL refiner (CLIP-G context 1280, pooled vector with an aesthetic score).</summary>
    SdxlRefiner,
}

/// <summary>What a checkpoint holds and how to build its networks.</summary>
/// <param name="Family">The model family.</param>
/// <param name="UNet">The UNet's architecture.</param>
/// <param name="Prediction">What the UNet predicts.</param>
/// <param name="LatentFormat">Latent constants.</param>
/// <param name="UNetPrefix">Prefix of the UNet keys in the file (empty for a standalone diffusion model).</param>
public sealed record DetectedModel(ModelFamily Family, UNetConfig UNet, ModelPrediction Prediction, LatentFormat LatentFormat, string UNetPrefix)
{
    /// <summary>Zero-terminal-SNR schedule flagged by the checkpoint (a <c>ztsnr</c> key).</summary>
    public bool ZeroTerminalSnr { get; init; }

    /// <summary>A short name of the variant (e.g. <c>SD2.x inpainting</c>) for messages.</summary>
    public string Variant => (Family, UNet.InChannels) switch
    {
        (_, 9) => $"{Family} inpainting",
        (_, 8) => $"{Family} InstructPix2Pix",
        (ModelFamily.Sd2, _) when UNet.AdmInChannels is not null => "Sd2 unCLIP",
        (ModelFamily.Sd2, 5) => "Sd2 depth",
        _ => Family.ToString(),
    };
}

/// <summary>
/// Recognises the architecture from key names and shapes alone, as the reference does, so no config
/// file is needed: the UNet's shape (levels, channels, transformer depth per level, context width, ADM
/// width, projection kind) is read from the keys, then matched to a family.
/// </summary>
public static partial class ModelDetection
{
    /// <summary>Prefix of UNet keys in a full checkpoint.</summary>
    public const string CheckpointUNetPrefix = "model.diffusion_model.";

    /// <summary>Prefix of VAE keys in a full checkpoint.</summary>
    public const string CheckpointVaePrefix = "first_stage_model.";

    [GeneratedRegex(@"^input_blocks\.(\d+)\.")]
    private static partial Regex InputBlock();

    /// <summary>
    /// Detects the UNet under <paramref name="prefix"/> from the key → shape map, or returns null when the
    /// keys are not an LDM UNet this server knows. <paramref name="load"/> (optional) reads a tensor for the value
    /// checks the reference makes (SD 2.x v-prediction); without it SD 2.x is taken as v-prediction (768-v).
    /// </summary>
    public static DetectedModel? DetectUNet(IReadOnlyDictionary<string, long[]> shapes, string prefix, Func<string, Tensor>? load = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(prefix);
        UNetConfig? config = ReadConfig(shapes, prefix);
        if (config is null)
        {
            return null;
        }
        (ModelFamily family, LatentFormat format)? match = (config.ModelChannels, config.ContextDim, config.AdmInChannels, config.UseLinearInTransformer) switch
        {
            (320, 768, null, false) => (ModelFamily.Sd1, LatentFormats.Sd15),
            (320, 1024, null, true) => (ModelFamily.Sd2, LatentFormats.Sd15),
            // SD 2.1 unCLIP-L (768 + 768) and -H (1024 + 1024): the image embedding and its noise level in y.
            (320, 1024, 1536 or 2048, true) => (ModelFamily.Sd2, LatentFormats.Sd15),
            (320, 2048, 2816, true) => (ModelFamily.Sdxl, LatentFormats.Sdxl),
            (384, 1280, 2560, true) => (ModelFamily.SdxlRefiner, LatentFormats.Sdxl),
            _ => null,
        };
        if (match is not { } m || config.InChannels is not (4 or 5 or 8 or 9))
        {
            return null;
        }
        ModelPrediction prediction = ModelPrediction.Epsilon;
        bool zsnr = false;
        if (m.family == ModelFamily.Sd2 && config.InChannels == 4)
        {
            prediction = IsSd2VPrediction(shapes, prefix, load) ? ModelPrediction.Velocity : ModelPrediction.Epsilon;
        }
        else if (m.family is ModelFamily.Sdxl or ModelFamily.SdxlRefiner && shapes.ContainsKey("v_pred"))
        {
            prediction = ModelPrediction.Velocity;
            zsnr = shapes.ContainsKey("ztsnr");
        }
        return new DetectedModel(m.family, config, prediction, m.format, prefix) { ZeroTerminalSnr = zsnr };
    }

    /// <summary>
    /// Names what the keys look like, for the error when <see cref="DetectUNet"/> finds no supported model
    /// (e.g. "an LDM UNet with model_channels 320, context 1024, adm 1536" or "a Flux transformer").
    /// </summary>
    public static string Describe(IReadOnlyDictionary<string, long[]> shapes, string prefix)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(prefix);
        if (ReadConfig(shapes, prefix) is { } c)
        {
            string adm = c.AdmInChannels is int a ? $", adm (label_emb) {a}" : "";
            return $"an LDM UNet with model_channels {c.ModelChannels}, in_channels {c.InChannels}, context {c.ContextDim}{adm}, " +
                $"channel_mult [{string.Join(", ", c.ChannelMult)}], transformer depth [{string.Join(", ", c.TransformerDepth)}], " +
                $"{(c.UseLinearInTransformer ? "linear" : "conv")} projections";
        }
        bool Has(string fragment) => shapes.Keys.Any(k => k.Contains(fragment, StringComparison.Ordinal));
        return Has("double_blocks.") ? "a Flux-style transformer (double_blocks)"
            : Has("joint_blocks.") ? "an SD3-style MMDiT (joint_blocks)"
            : Has("transformer_blocks.") && !Has("input_blocks.") ? "a DiT-style transformer (transformer_blocks without input_blocks)"
            : Has("input_blocks.") ? "UNet keys without a recognisable layout"
            : $"no UNet keys under '{prefix}' but {ModelKeyKinds.Describe(shapes.Keys)}";
    }

    /// <summary>The reference's rule: SD 2.x predicts v when a late norm bias has a population std above 0.09.</summary>
    private static bool IsSd2VPrediction(IReadOnlyDictionary<string, long[]> shapes, string prefix, Func<string, Tensor>? load)
    {
        string key = prefix + "output_blocks.11.1.transformer_blocks.0.norm1.bias";
        if (load is null || !shapes.ContainsKey(key))
        {
            return load is null;
        }
        using var scope = NewDisposeScope();
        return load(key).to_type(ScalarType.Float32).std(unbiased: false).item<float>() > 0.09f;
    }

    private static UNetConfig? ReadConfig(IReadOnlyDictionary<string, long[]> shapes, string prefix)
    {
        if (!shapes.TryGetValue(prefix + "input_blocks.0.0.weight", out long[]? convIn) || convIn.Length != 4)
        {
            return null;
        }
        int mc = (int)convIn[0];
        int outChannels = shapes.TryGetValue(prefix + "out.2.weight", out long[]? convOut) ? (int)convOut[0] : 4;
        int blocks = shapes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => InputBlock().Match(k[prefix.Length..])).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max() + 1;
        var mult = new List<int>();
        var depth = new List<int>();
        int resInFirstLevel = 0;
        bool newLevel = true;
        long[]? firstProjIn = null;
        for (int n = 1; n < blocks; n++)
        {
            string block = $"{prefix}input_blocks.{n}.";
            if (shapes.ContainsKey(block + "0.op.weight"))
            {
                newLevel = true;
                continue;
            }
            if (!shapes.TryGetValue(block + "0.out_layers.3.weight", out long[]? resOut))
            {
                return null;
            }
            if (newLevel)
            {
                mult.Add((int)(resOut[0] / mc));
                depth.Add(CountTransformerBlocks(shapes, block + "1."));
                newLevel = false;
            }
            if (mult.Count == 1)
            {
                resInFirstLevel++;
            }
            if (firstProjIn is null)
            {
                shapes.TryGetValue(block + "1.proj_in.weight", out firstProjIn);
            }
        }
        string middle = prefix + "middle_block.1.";
        if (firstProjIn is null)
        {
            shapes.TryGetValue(middle + "proj_in.weight", out firstProjIn);
        }
        long? context = FindContextDim(shapes, prefix);
        if (mult.Count == 0 || context is null || firstProjIn is null)
        {
            return null;
        }
        int? adm = shapes.TryGetValue(prefix + "label_emb.0.0.weight", out long[]? label) ? (int)label[1] : null;
        bool sd1Heads = context == 768;
        return new UNetConfig
        {
            InChannels = (int)convIn[1],
            OutChannels = outChannels,
            ModelChannels = mc,
            NumResBlocks = resInFirstLevel,
            ChannelMult = mult,
            TransformerDepth = depth,
            TransformerDepthMiddle = CountTransformerBlocks(shapes, middle),
            NumHeads = sd1Heads ? 8 : -1,
            NumHeadChannels = sd1Heads ? -1 : 64,
            ContextDim = (int)context,
            UseLinearInTransformer = firstProjIn.Length == 2,
            AdmInChannels = adm,
        };
    }

    private static int CountTransformerBlocks(IReadOnlyDictionary<string, long[]> shapes, string transformer)
    {
        int count = 0;
        while (shapes.ContainsKey($"{transformer}transformer_blocks.{count}.attn1.to_q.weight"))
        {
            count++;
        }
        return count;
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
