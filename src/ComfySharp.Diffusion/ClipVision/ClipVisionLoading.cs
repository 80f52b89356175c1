using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.ClipVision;

/// <summary>A file is not a CLIP vision model this server can build; the message names what the keys showed.</summary>
public sealed class UnsupportedClipVisionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedClipVisionException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedClipVisionException() { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedClipVisionException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Loads CLIP vision towers as the reference's <c>clip_vision.load_clipvision_from_sd</c> tells them apart:
/// 48 layers = ViT-bigG/14, 32 = ViT-H/14, 24 = ViT-L/14 (224 px). Widths, heads and projection come from the shapes,
/// so smaller towers in the same layout load too.
/// </summary>
public static class ClipVisionLoading
{
    private const string Prefix = "vision_model.";

    /// <summary>Reads the configuration from the key → shape map.</summary>
    public static ClipVisionConfig Detect(IReadOnlyDictionary<string, long[]> shapes, string fileName)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (!shapes.TryGetValue(Prefix + "embeddings.patch_embedding.weight", out long[]? patch) || !shapes.TryGetValue("visual_projection.weight", out long[]? projection))
        {
            throw new UnsupportedClipVisionException($"'{fileName}' is not a CLIP vision model in the transformers layout; its keys look like {ModelKeyKinds.Describe(shapes.Keys)}.");
        }
        int layers = 0;
        while (shapes.ContainsKey($"{Prefix}encoder.layers.{layers}.layer_norm1.weight"))
        {
            layers++;
        }
        long positions = shapes[Prefix + "embeddings.position_embedding.weight"][0];
        int width = (int)patch[0], patchSize = (int)patch[2];
        int imageSize = (int)Math.Round(Math.Sqrt(positions - 1)) * patchSize;
        int intermediate = (int)shapes[Prefix + "encoder.layers.0.mlp.fc1.weight"][0];
        ClipVisionConfig family = layers switch
        {
            48 => ClipVisionConfig.VitBigG,
            32 => ClipVisionConfig.VitH,
            _ => ClipVisionConfig.VitL,
        };
        int heads = width % 64 == 0 && width >= 1024 ? family.Heads : Math.Max(1, width / 64);
        return family with { Width = width, Layers = layers, Heads = heads, Intermediate = intermediate, ProjectionDim = (int)projection[0], ImageSize = imageSize, PatchSize = patchSize };
    }

    /// <summary>Loads the tower in <paramref name="path"/>.</summary>
    public static ClipVisionModel LoadFile(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        string name = Path.GetFileName(path);
        var shapes = CheckpointLoading.Shapes(file);
        var model = new ClipVisionModel(Detect(shapes, name));
        // position_ids is a buffer some exports keep; it is derived, not learned.
        var keys = shapes.Keys.Where(k => !k.EndsWith("position_ids", StringComparison.Ordinal)).ToList();
        return StrictLoading.LoadOrDispose(model, keys, k => file.Load(k, ScalarType.Float32), $"CLIP vision '{name}'",
            m => m.MoveTo(options.ResolveDevice()));
    }
}

/// <summary>The reference's <c>clip_preprocess</c>: resize (bicubic, antialiased), centre crop, quantise to 8 bits, CLIP mean/std.</summary>
public static class ClipVisionPreprocess
{
    private static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>IMAGE [B, H, W, C] → normalised pixels [B, 3, size, size]; <paramref name="crop"/> keeps the aspect ratio and cuts the centre.</summary>
    public static Tensor Apply(Tensor image, int size, bool crop)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        Tensor x = image.shape[3] > 3 ? image[.., .., .., ..3] : image;
        x = x.permute(0, 3, 1, 2).to_type(ScalarType.Float32);
        long h = x.shape[2], w = x.shape[3];
        if (h != size || w != size)
        {
            long[] scaled;
            if (crop)
            {
                double scale = size / (double)Math.Min(h, w);
                scaled = [(long)Math.Round(scale * h, MidpointRounding.ToEven), (long)Math.Round(scale * w, MidpointRounding.ToEven)];
            }
            else
            {
                scaled = [size, size];
            }
            x = F.interpolate(x, size: scaled, mode: InterpolationMode.Bicubic, antialias: true);
            long top = (x.shape[2] - size) / 2, left = (x.shape[3] - size) / 2;
            x = x.narrow(2, top, size).narrow(3, left, size);
        }
        x = x.Mul(255.0).Clamp(0.0, 255.0).round().Div(255.0);
        Tensor mean = tensor(Mean).view(1, 3, 1, 1);
        Tensor std = tensor(Std).view(1, 3, 1, 1);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }
}
