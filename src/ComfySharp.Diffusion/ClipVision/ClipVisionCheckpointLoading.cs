using System.Text.RegularExpressions;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ClipVision;

/// <summary>
/// Reads the CLIP vision tower that some checkpoints embed (SD 2.1 unCLIP: <c>embedder.model.visual.</c>), as the
/// reference's <c>clip_vision.load_clipvision_from_sd(sd, prefix, convert_keys=True)</c> does: an open_clip tower
/// (<c>transformer.resblocks.N</c>) is renamed to the transformers layout (<c>in_proj</c> split into q, k, v rows,
/// <c>proj</c> transposed into <c>visual_projection.weight</c>); a tower already in the transformers layout only loses the prefix.
/// </summary>
public static partial class ClipVisionCheckpointLoading
{
    /// <summary>Where SD 2.1 unCLIP checkpoints keep their image encoder (the reference's <c>clip_vision_prefix</c>).</summary>
    public const string UnclipPrefix = "embedder.model.visual.";

    private const string OpenClipMarker = "transformer.resblocks.0.attn.in_proj_weight";
    private const string TransformersMarker = "vision_model.embeddings.patch_embedding.weight";

    private static readonly (string OpenClip, string Transformers)[] Renames =
    [
        ("class_embedding", "vision_model.embeddings.class_embedding"),
        ("conv1.weight", "vision_model.embeddings.patch_embedding.weight"),
        ("positional_embedding", "vision_model.embeddings.position_embedding.weight"),
        ("ln_pre.weight", "vision_model.pre_layrnorm.weight"),
        ("ln_pre.bias", "vision_model.pre_layrnorm.bias"),
        ("ln_post.weight", "vision_model.post_layernorm.weight"),
        ("ln_post.bias", "vision_model.post_layernorm.bias"),
    ];

    private static readonly (string OpenClip, string Transformers)[] LayerParts =
    [
        ("ln_1.", "layer_norm1."), ("ln_2.", "layer_norm2."), ("attn.out_proj.", "self_attn.out_proj."),
        ("mlp.c_fc.", "mlp.fc1."), ("mlp.c_proj.", "mlp.fc2."),
    ];

    [GeneratedRegex(@"^transformer\.resblocks\.(\d+)\.(.+)$")]
    private static partial Regex ResBlock();

    /// <summary>Whether <paramref name="file"/> holds a vision tower under <paramref name="prefix"/>.</summary>
    public static bool Contains(SafeTensorsFile file, string prefix)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Contains(prefix + OpenClipMarker) || file.Contains(prefix + TransformersMarker);
    }

    /// <summary>Loads the tower under <paramref name="prefix"/> of the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="UnsupportedClipVisionException">The file has no tower there.</exception>
    public static ClipVisionModel LoadFromCheckpoint(string path, string prefix, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        string name = Path.GetFileName(path);
        if (!Contains(file, prefix))
        {
            throw new UnsupportedClipVisionException($"'{name}' has no CLIP vision tower under '{prefix}' (it is not an unCLIP checkpoint); its keys look like {ModelKeyKinds.Describe(file.Keys.ToList())}.");
        }
        var map = Map(file, prefix);
        var shapes = map.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);
        var model = new ClipVisionModel(ClipVisionLoading.Detect(shapes, name));
        var keys = map.Keys.Where(k => !k.EndsWith("position_ids", StringComparison.Ordinal)).ToList();
        return StrictLoading.LoadOrDispose(model, keys, k => map[k].Load().to_type(ScalarType.Float32), $"CLIP vision of '{name}'",
            m => m.MoveTo(options.ResolveDevice()));
    }

    /// <summary>Transformers-layout name → (shape, loader) for the tower under <paramref name="prefix"/>.</summary>
    public static Dictionary<string, (long[] Shape, Func<Tensor> Load)> Map(SafeTensorsFile file, string prefix)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        var map = new Dictionary<string, (long[] Shape, Func<Tensor> Load)>(StringComparer.Ordinal);
        bool openClip = file.Contains(prefix + OpenClipMarker);
        foreach (string full in file.KeysWithPrefix(prefix))
        {
            string key = full[prefix.Length..];
            long[] shape = file.GetInfo(full).Shape;
            Tensor Read() => file.Load(full);
            if (!openClip)
            {
                map[key] = (shape, Read);
                continue;
            }
            if (key == "proj")
            {
                map["visual_projection.weight"] = ([shape[1], shape[0]], () => file.Load(full).t().contiguous());
                continue;
            }
            if (Renames.FirstOrDefault(r => r.OpenClip == key) is { Transformers: { } renamed })
            {
                map[renamed] = (shape, Read);
                continue;
            }
            Match m = ResBlock().Match(key);
            if (!m.Success)
            {
                map[key] = (shape, Read); // unknown: kept so that strict loading names it
                continue;
            }
            string layer = $"vision_model.encoder.layers.{m.Groups[1].Value}.";
            string rest = m.Groups[2].Value;
            if (rest is "attn.in_proj_weight" or "attn.in_proj_bias")
            {
                string suffix = rest.EndsWith("weight", StringComparison.Ordinal) ? "weight" : "bias";
                string[] names = ["q_proj", "k_proj", "v_proj"];
                long width = shape[0] / 3;
                for (int i = 0; i < 3; i++)
                {
                    int part = i;
                    map[$"{layer}self_attn.{names[i]}.{suffix}"] = ([width, .. shape[1..]], () => file.Load(full).narrow(0, part * width, width).contiguous());
                }
                continue;
            }
            (string OpenClip, string Transformers) mapped = LayerParts.FirstOrDefault(p => rest.StartsWith(p.OpenClip, StringComparison.Ordinal));
            map[mapped.OpenClip is null ? key : layer + mapped.Transformers + rest[mapped.OpenClip.Length..]] = (shape, Read);
        }
        return map;
    }
}
