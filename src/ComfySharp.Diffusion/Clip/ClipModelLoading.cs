using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Clip;

// Entry points for checkpoint loaders: FromCheckpoint (SD1.x CLIP-L), FromSdxlCheckpoint, FromSdxlRefinerCheckpoint,
// FromSd2Checkpoint (OpenCLIP towers converted to the Hugging Face layout), FromTextEncoderFile and Combine (CLIPLoader,
// DualCLIPLoader). Every loader is strict: a key missing or left over is an error naming it.
public sealed partial class ClipModel
{
    /// <summary>Where an SD1.x checkpoint keeps the text encoder.</summary>
    public const string Sd1CheckpointPrefix = "cond_stage_model.transformer.text_model.";

    /// <summary>Where an SDXL base checkpoint keeps CLIP-L.</summary>
    public const string SdxlClipLPrefix = "conditioner.embedders.0.transformer.text_model.";

    /// <summary>Where an SDXL base checkpoint keeps the OpenCLIP ViT-bigG text tower.</summary>
    public const string SdxlClipGPrefix = "conditioner.embedders.1.model.";

    /// <summary>Where an SDXL refiner checkpoint keeps its OpenCLIP ViT-bigG text tower.</summary>
    public const string SdxlRefinerClipGPrefix = "conditioner.embedders.0.model.";

    /// <summary>Where an SD 2.x checkpoint keeps the OpenCLIP ViT-H text tower.</summary>
    public const string Sd2ClipHPrefix = "cond_stage_model.model.";

    private const string TokenEmbeddingSuffix = "embeddings.token_embedding.weight";

    /// <summary>Loads the SD1.x text encoder under <paramref name="prefix"/> of a checkpoint, strictly (fp16 storage).</summary>
    public static ClipModel FromCheckpoint(SafeTensorsFile file, string prefix = Sd1CheckpointPrefix)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        return new ClipModel(LoadHfEncoder(file, prefix, includeProjection: false));
    }

    /// <summary>Loads both SDXL text towers of a base checkpoint (CLIP-L and bigG, penultimate layers).</summary>
    public static ClipModel FromSdxlCheckpoint(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        ClipTextEncoder l = LoadHfEncoder(file, SdxlClipLPrefix, includeProjection: false);
        try
        {
            ClipTextEncoder g = LoadOpenClipEncoder(file, SdxlClipGPrefix);
            return Sdxl(l, g);
        }
        catch
        {
            l.Dispose();
            throw;
        }
    }

    /// <summary>Loads the SDXL refiner's bigG tower.</summary>
    public static ClipModel FromSdxlRefinerCheckpoint(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new ClipModel(ClipKind.SdxlRefiner, [BigGTower(LoadOpenClipEncoder(file, SdxlRefinerClipGPrefix))]);
    }

    /// <summary>Loads the SD 2.x ViT-H tower (penultimate layer, final layer norm).</summary>
    public static ClipModel FromSd2Checkpoint(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Sd2(LoadOpenClipEncoder(file, Sd2ClipHPrefix));
    }

    /// <summary>An SDXL CLIP from its two encoders.</summary>
    public static ClipModel Sdxl(ClipTextEncoder clipL, ClipTextEncoder clipG) =>
        new(ClipKind.Sdxl, [new ClipTower("l", clipL, ClipPromptTokenizer.Sd1, -2, false), BigGTower(clipG)]);

    /// <summary>An SD 2.x CLIP from its ViT-H encoder.</summary>
    public static ClipModel Sd2(ClipTextEncoder clipH) =>
        new(ClipKind.Sd2, [new ClipTower("h", clipH, ClipPromptTokenizer.VitH, -2, true)]);

    private static ClipTower BigGTower(ClipTextEncoder g) => new("g", g, ClipPromptTokenizer.BigG, -2, false);

    /// <summary>
    /// Loads a standalone text encoder file (CLIPLoader): Hugging Face keys with any prefix ending in <c>text_model.</c>
    /// (plus <c>text_projection.weight</c> beside it) or an OpenCLIP text tower. The family follows the width:
    /// 768 CLIP-L (SD1), 1024 ViT-H (SD2), 1280 ViT-bigG (SDXL refiner).
    /// </summary>
    public static ClipModel FromTextEncoderFile(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        ClipTextEncoder encoder = LoadStandaloneEncoder(file);
        return encoder.Config.Width switch
        {
            768 => new ClipModel(encoder),
            1024 => Sd2(encoder),
            1280 => new ClipModel(ClipKind.SdxlRefiner, [BigGTower(encoder)]),
            _ => Reject(encoder, file),
        };
    }

    /// <summary>DualCLIPLoader type <c>sdxl</c>: a CLIP-L file and a bigG file, in either order.</summary>
    public static ClipModel CombineSdxl(SafeTensorsFile first, SafeTensorsFile second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ClipTextEncoder a = LoadStandaloneEncoder(first);
        ClipTextEncoder? b = null;
        try
        {
            b = LoadStandaloneEncoder(second);
            (ClipTextEncoder? l, ClipTextEncoder? g) = (a.Config.Width, b.Config.Width) switch
            {
                (768, 1280) => (a, b),
                (1280, 768) => (b, a),
                _ => (null, null),
            };
            if (l is null || g is null)
            {
                throw new InvalidOperationException(
                    $"DualCLIPLoader 'sdxl' needs a CLIP-L (width 768) and a CLIP-G (width 1280) file; got widths {a.Config.Width} and {b.Config.Width}.");
            }
            return Sdxl(l, g);
        }
        catch
        {
            a.Dispose();
            b?.Dispose();
            throw;
        }
    }

    /// <summary>Builds an SD1.x CLIP from in-memory weights keyed by parameter name (e.g. <c>final_layer_norm.weight</c>).</summary>
    public static ClipModel FromWeights(IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        // An SD1.x text model has no projection head: a text_projection key is reported as unexpected.
        ClipTextConfig config = InferHfConfig([.. weights.Keys], k => weights[k].shape) with { ProjectionDim = null };
        return new ClipModel(BuildEncoder([.. weights.Keys], key => weights[key], config));
    }

    private static ClipModel Reject(ClipTextEncoder encoder, SafeTensorsFile file)
    {
        int width = encoder.Config.Width;
        encoder.Dispose();
        throw new NotSupportedException($"'{Path.GetFileName(file.FilePath)}' is a text encoder of width {width}; supported are CLIP-L (768), OpenCLIP ViT-H (1024) and ViT-bigG (1280).");
    }

    private static ClipTextEncoder LoadStandaloneEncoder(SafeTensorsFile file)
    {
        string? openClip = file.Keys.FirstOrDefault(k => k.EndsWith(OpenClipKeys.MarkerKey, StringComparison.Ordinal));
        if (openClip is not null)
        {
            return LoadOpenClipEncoder(file, openClip[..^OpenClipKeys.MarkerKey.Length]);
        }
        string? embeddingKey = file.Keys.FirstOrDefault(k => k.EndsWith(TokenEmbeddingSuffix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"'{Path.GetFileName(file.FilePath)}' is not a CLIP text encoder (no {TokenEmbeddingSuffix}).");
        string prefix = embeddingKey[..^TokenEmbeddingSuffix.Length];
        if (prefix.Length == 0)
        {
            // Bare keys: everything in the file belongs to the text model except a projection head.
            string[] keys = [.. file.Keys.Where(k => k != "logit_scale")];
            return BuildEncoder(keys, k => file.Load(k), InferHfConfig(keys, k => file.GetInfo(k).Shape));
        }
        return LoadHfEncoder(file, prefix, includeProjection: true);
    }

    /// <summary>
    /// The Hugging Face text model under <paramref name="prefix"/>; with <paramref name="includeProjection"/> a
    /// <c>text_projection.weight</c> next to the <c>text_model.</c> folder is loaded too.
    /// </summary>
    private static ClipTextEncoder LoadHfEncoder(SafeTensorsFile file, string prefix, bool includeProjection)
    {
        var map = file.KeysWithPrefix(prefix).ToDictionary(k => k[prefix.Length..], k => k, StringComparer.Ordinal);
        if (map.Count == 0)
        {
            throw new InvalidOperationException($"'{Path.GetFileName(file.FilePath)}' has no CLIP text encoder weights under '{prefix}'.");
        }
        const string TextModel = "text_model.";
        if (includeProjection && prefix.EndsWith(TextModel, StringComparison.Ordinal))
        {
            string projection = prefix[..^TextModel.Length] + "text_projection.weight";
            if (file.Contains(projection))
            {
                map["text_projection.weight"] = projection;
            }
        }
        string[] keys = [.. map.Keys];
        return BuildEncoder(keys, k => file.Load(map[k]), InferHfConfig(keys, k => file.GetInfo(map[k]).Shape));
    }

    private static ClipTextEncoder LoadOpenClipEncoder(SafeTensorsFile file, string prefix)
    {
        string[] keys = [.. file.KeysWithPrefix(prefix).Select(k => k[prefix.Length..])];
        if (!keys.Contains(OpenClipKeys.MarkerKey))
        {
            throw new InvalidOperationException($"'{Path.GetFileName(file.FilePath)}' has no OpenCLIP text tower under '{prefix}'.");
        }
        ClipTextConfig config = OpenClipKeys.InferConfig(keys, k => file.GetInfo(prefix + k).Shape);
        var map = OpenClipKeys.ToHuggingFace(keys, k => file.Load(prefix + k), config.MaxPositions);
        return BuildEncoder([.. map.Keys], k => map[k](), config);
    }

    private static ClipTextEncoder BuildEncoder(IReadOnlyList<string> keys, Func<string, Tensor> load, ClipTextConfig config)
    {
        var encoder = new ClipTextEncoder(config);
        try
        {
            encoder.LoadWeights(load, keys);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return encoder;
    }

    private static ClipTextConfig InferHfConfig(IReadOnlyList<string> keys, Func<string, long[]> shape)
    {
        if (!keys.Contains(TokenEmbeddingSuffix) || !keys.Contains("encoder.layers.0.mlp.fc1.weight") || !keys.Contains("embeddings.position_embedding.weight"))
        {
            throw new InvalidOperationException("The weights are not a CLIP text transformer in the Hugging Face layout.");
        }
        long[] token = shape(TokenEmbeddingSuffix);
        long positions = shape("embeddings.position_embedding.weight")[0];
        long intermediate = shape("encoder.layers.0.mlp.fc1.weight")[0];
        int layers = keys.Select(k => k.StartsWith("encoder.layers.", StringComparison.Ordinal) && int.TryParse(k.Split('.')[2], out int n) ? n + 1 : 0).Max();
        int? projection = keys.Contains("text_projection.weight") ? (int)shape("text_projection.weight")[0] : null;
        // CLIP-L uses quick_gelu; the OpenCLIP towers (ViT-H, ViT-bigG) exact gelu.
        return new ClipTextConfig((int)token[0], (int)positions, (int)token[1], layers, (int)token[1] / 64, (int)intermediate,
            QuickGelu: token[1] == 768, ProjectionDim: projection);
    }
}
