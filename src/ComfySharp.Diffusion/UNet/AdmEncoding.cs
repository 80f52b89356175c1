using System.Globalization;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.UNet;

/// <summary>
/// The ADM vector <c>y</c> of the SDXL UNets (the reference's <c>encode_adm</c>): the pooled text embedding followed
/// by 256-wide sinusoidal embeddings of the image sizes. Base (2816 = 1280 + 6·256): height, width, crop_h, crop_w,
/// target_height, target_width. Refiner (2560 = 1280 + 5·256): height, width, crop_h, crop_w, aesthetic score
/// (6, or 2.5 for a negative prompt). Sizes come from the conditioning (CLIPTextEncodeSDXL) or default to the
/// latent's size × 8 with no crop.
/// </summary>
public static class AdmEncoding
{
    /// <summary>Option key: image width (int) for the ADM vector.</summary>
    public const string Width = "width";
    /// <summary>Option key: image height.</summary>
    public const string Height = "height";
    /// <summary>Option key: crop from the left.</summary>
    public const string CropW = "crop_w";
    /// <summary>Option key: crop from the top.</summary>
    public const string CropH = "crop_h";
    /// <summary>Option key: target width.</summary>
    public const string TargetWidth = "target_width";
    /// <summary>Option key: target height.</summary>
    public const string TargetHeight = "target_height";
    /// <summary>Option key: aesthetic score (refiner).</summary>
    public const string AestheticScore = "aesthetic_score";
    /// <summary>Option key: "negative" when the entry is the negative prompt (refiner default score 2.5).</summary>
    public const string PromptType = "prompt_type";

    private const int PooledWidth = 1280;

    /// <summary>
    /// The ADM vector [1, <paramref name="admChannels"/>] for one conditioning entry on a latent of the given size, or
    /// null when the model takes none (<paramref name="admChannels"/> null). <paramref name="seed"/> is the sampling
    /// seed, from which unCLIP noise augmentation draws (SD 2.1 unCLIP's 1536/2048-wide vectors, SDXL revision).
    /// </summary>
    public static Tensor? Encode(int? admChannels, ConditioningEntry entry, long latentHeight, long latentWidth, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (admChannels is not int channels)
        {
            return null;
        }
        using var scope = NewDisposeScope();
        var unclip = entry.Get(UnclipAdm.Key) as IReadOnlyList<UnclipCondition>;
        ulong unclipSeed = unchecked(seed - 10); // the reference draws unCLIP noise from the sampling seed − 10
        if (channels is 1536 or 2048)
        {
            // SD 2.1 unCLIP (L: 768 + 768, H: 1024 + 1024): zeros without an image, as the reference's SD21UNCLIP.encode_adm.
            Tensor adm = unclip is { Count: > 0 } ? UnclipAdm.Encode(unclip, channels / 2, unclipSeed, UnclipAdm.Sd21MergeAugmentation) : zeros(1, channels, ScalarType.Float32);
            return adm.MoveToOuterDisposeScope();
        }
        Tensor pooled = unclip is { Count: > 0 }
            ? UnclipAdm.Encode(unclip, PooledWidth, unclipSeed, 0.0).narrow(1, 0, PooledWidth) // SDXL revision (sdxl_pooled)
            : entry.Get(Sampling.ConditioningKeys.PooledOutput) is Tensor p
            ? p.to_type(ScalarType.Float32).cpu().reshape(-1, p.shape[^1]).narrow(0, 0, 1)
            : zeros(1, PooledWidth, ScalarType.Float32);
        double width = Number(entry, Width) ?? latentWidth * 8;
        double height = Number(entry, Height) ?? latentHeight * 8;
        double cropW = Number(entry, CropW) ?? 0;
        double cropH = Number(entry, CropH) ?? 0;
        double[] values = channels switch
        {
            2816 => [height, width, cropH, cropW, Number(entry, TargetHeight) ?? height, Number(entry, TargetWidth) ?? width],
            2560 => [height, width, cropH, cropW, Number(entry, AestheticScore) ?? (entry.Get(PromptType) as string == "negative" ? 2.5 : 6.0)],
            _ => throw new NotSupportedException($"A UNet with a {channels}-wide ADM vector (label_emb) is not supported; SDXL base (2816), refiner (2560) and SD 2.1 unCLIP (1536, 2048) are."),
        };
        Tensor sizes = tensor(values.Select(v => (float)v).ToArray());
        Tensor embedded = UNetModel.TimestepEmbedding(sizes, 256).reshape(1, -1);
        Tensor y = cat([pooled, embedded], 1);
        if (y.shape[1] != channels)
        {
            throw new InvalidOperationException($"The pooled text embedding has width {pooled.shape[1]}; this model needs {channels - (values.Length * 256)} (an SDXL CLIP).");
        }
        return y.MoveToOuterDisposeScope();
    }

    private static double? Number(ConditioningEntry entry, string key) => entry.Get(key) switch
    {
        null => null,
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => null,
    };

}
