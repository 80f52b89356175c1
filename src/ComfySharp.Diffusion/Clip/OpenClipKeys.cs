using System.Globalization;
using System.Text.RegularExpressions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Clip;

/// <summary>
/// Reads an OpenCLIP text tower (SD 2.x <c>cond_stage_model.model.*</c>, SDXL <c>conditioner.embedders.1.model.*</c>)
/// as the Hugging Face layout of <see cref="ClipTextEncoder"/>: <c>in_proj_weight</c>/<c>_bias</c> are split into
/// q, k, v (rows in that order), <c>text_projection</c> (applied as <c>pooled @ P</c>) becomes the Linear weight Pᵀ,
/// the position ids are synthesised, and <c>logit_scale</c> is ignored.
/// </summary>
public static partial class OpenClipKeys
{
    /// <summary>The key that marks an OpenCLIP text tower under a prefix.</summary>
    public const string MarkerKey = "transformer.resblocks.0.attn.in_proj_weight";

    private static readonly (string OpenClip, string Hf)[] LayerParts =
    [
        ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"), ("attn.out_proj", "self_attn.out_proj"),
        ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2"),
    ];

    [GeneratedRegex(@"^transformer\.resblocks\.(\d+)\.(.+)$")]
    private static partial Regex ResBlock();

    /// <summary>
    /// The Hugging Face key → loader map of the tower whose OpenCLIP keys (without prefix) are <paramref name="keys"/>;
    /// <paramref name="load"/> reads one OpenCLIP key. Unknown keys are kept under their own name so strict loading reports them.
    /// </summary>
    public static Dictionary<string, Func<Tensor>> ToHuggingFace(IEnumerable<string> keys, Func<string, Tensor> load, int maxPositions = 77)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(load);
        var map = new Dictionary<string, Func<Tensor>>(StringComparer.Ordinal)
        {
            ["embeddings.position_ids"] = () => ScalarMath.Arange(maxPositions, ScalarType.Int64).unsqueeze(0),
        };
        foreach (string key in keys)
        {
            string k = key;
            switch (k)
            {
                case "token_embedding.weight":
                    map["embeddings.token_embedding.weight"] = () => load(k);
                    continue;
                case "positional_embedding":
                    map["embeddings.position_embedding.weight"] = () => load(k);
                    continue;
                case "ln_final.weight":
                case "ln_final.bias":
                    map["final_layer_norm." + k["ln_final.".Length..]] = () => load(k);
                    continue;
                case "text_projection":
                    map["text_projection.weight"] = () => load(k).t().contiguous();
                    continue;
                case "logit_scale":
                    continue;
            }
            Match m = ResBlock().Match(k);
            if (!m.Success)
            {
                map[k] = () => load(k);
                continue;
            }
            string layer = $"encoder.layers.{m.Groups[1].Value}.";
            string rest = m.Groups[2].Value;
            if (rest is "attn.in_proj_weight" or "attn.in_proj_bias")
            {
                string suffix = rest.EndsWith("weight", StringComparison.Ordinal) ? "weight" : "bias";
                string[] names = ["q_proj", "k_proj", "v_proj"];
                for (int i = 0; i < 3; i++)
                {
                    int part = i;
                    map[$"{layer}self_attn.{names[i]}.{suffix}"] = () =>
                    {
                        Tensor all = load(k);
                        long width = all.shape[0] / 3;
                        return all.narrow(0, part * width, width).contiguous();
                    };
                }
                continue;
            }
            (string OpenClip, string Hf) mapped = LayerParts.FirstOrDefault(p => rest.StartsWith(p.OpenClip + ".", StringComparison.Ordinal));
            map[mapped.OpenClip is null ? k : layer + mapped.Hf + rest[mapped.OpenClip.Length..]] = () => load(k);
        }
        return map;
    }

    /// <summary>The text tower's shape from its OpenCLIP keys.</summary>
    public static ClipTextConfig InferConfig(IReadOnlyCollection<string> keys, Func<string, long[]> shape)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(shape);
        long[] token = shape("token_embedding.weight");
        long positions = shape("positional_embedding")[0];
        long intermediate = shape("transformer.resblocks.0.mlp.c_fc.weight")[0];
        int layers = keys.Select(k => ResBlock().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        int? projection = keys.Contains("text_projection") ? (int)shape("text_projection")[1] : null;
        return new ClipTextConfig((int)token[0], (int)positions, (int)token[1], layers, (int)token[1] / 64, (int)intermediate, QuickGelu: false, ProjectionDim: projection);
    }
}
