using System.Globalization;
using System.Text.RegularExpressions;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.StyleModel;

/// <summary>A file is not a style model this server can run; the message names what the keys showed.</summary>
public sealed class UnsupportedStyleModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedStyleModelException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedStyleModelException() { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedStyleModelException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// The T2I-Adapter style model (the reference's <c>t2i_adapter.adapter.StyleAdapter</c>, loaded by
/// <c>comfy.sd.load_style_model</c> when the file has <c>style_embedding</c>): learned style tokens are appended to the
/// CLIP vision tokens, the sequence goes through <c>ln_pre</c>, residual attention blocks (multi-head attention with
/// packed <c>in_proj</c>, QuickGELU MLP; 8 heads) and <c>ln_post</c>, and the style tokens, projected by <c>proj</c>,
/// become extra cross-attention tokens. Widths, token count and depth are read from the shapes.
/// </summary>
public sealed partial class StyleAdapter : IModelMemory, IDisposable
{
    /// <summary>Attention heads (fixed by the reference's loader).</summary>
    public const int Heads = 8;

    private readonly Dictionary<string, Tensor> _weights;

    private StyleAdapter(Dictionary<string, Tensor> weights, int layers)
    {
        _weights = weights;
        Layers = layers;
        Tokens = (int)weights["style_embedding"].shape[1];
        Width = (int)weights["style_embedding"].shape[2];
        ContextDim = (int)weights["proj"].shape[1];
    }

    /// <summary>Residual attention blocks.</summary>
    public int Layers { get; }

    /// <summary>Style tokens produced per image.</summary>
    public int Tokens { get; }

    /// <summary>Width of the CLIP vision tokens it reads.</summary>
    public int Width { get; }

    /// <summary>Width of the tokens it produces (the text context width).</summary>
    public int ContextDim { get; }

    /// <inheritdoc />
    public long WeightBytes => _weights.Values.Sum(t => t.NumberOfElements * t.ElementSize);

    [GeneratedRegex(@"^transformer_layes\.(\d+)\.")]
    private static partial Regex Layer();

    private static readonly string[] LayerKeys =
    [
        "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias", "ln_1.weight", "ln_1.bias",
        "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias", "ln_2.weight", "ln_2.bias",
    ];

    /// <summary>Loads a style model; anything else is refused, naming what the keys look like.</summary>
    public static StyleAdapter LoadFile(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        string name = Path.GetFileName(path);
        var keys = file.Keys.ToList();
        if (!file.Contains("style_embedding"))
        {
            string kind = file.Contains("redux_down.weight") ? "a Flux Redux image encoder (not supported)" : ModelKeyKinds.Describe(keys);
            throw new UnsupportedStyleModelException($"'{name}' is not a T2I-Adapter style model (no style_embedding); its keys look like {kind}.");
        }
        int layers = keys.Select(k => Layer().Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        var expected = new HashSet<string>(["style_embedding", "ln_pre.weight", "ln_pre.bias", "ln_post.weight", "ln_post.bias", "proj"], StringComparer.Ordinal);
        for (int l = 0; l < layers; l++)
        {
            foreach (string k in LayerKeys)
            {
                expected.Add($"transformer_layes.{l}.{k}");
            }
        }
        var missing = expected.Where(k => !file.Contains(k)).ToList();
        var unexpected = keys.Where(k => !expected.Contains(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            throw new UnsupportedStyleModelException($"Style model '{name}' does not have the StyleAdapter layout: missing [{string.Join(", ", missing.Take(5))}], unexpected [{string.Join(", ", unexpected.Take(5))}].");
        }
        Device device = options.ResolveDevice();
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string key in expected)
        {
            weights[key] = file.Load(key, ScalarType.Float32).to(device).DetachFromDisposeScope();
        }
        var adapter = new StyleAdapter(weights, layers);
        long width = adapter.Width;
        if (weights["proj"].shape[0] != width || width % Heads != 0)
        {
            adapter.Dispose();
            throw new UnsupportedStyleModelException($"Style model '{name}': proj is [{string.Join(", ", weights["proj"].shape)}] for {width}-wide tokens.");
        }
        return adapter;
    }

    /// <summary>Style tokens [B, tokens, context] from CLIP vision tokens [B, N, width] (the encoder's last hidden state).</summary>
    public Tensor Forward(Tensor visionTokens)
    {
        ArgumentNullException.ThrowIfNull(visionTokens);
        if (visionTokens.dim() != 3 || visionTokens.shape[2] != Width)
        {
            throw new InvalidOperationException($"The style model reads {Width}-wide CLIP vision tokens (ViT-L/14); got [{string.Join(", ", visionTokens.shape)}].");
        }
        using var scope = NewDisposeScope();
        Tensor x = visionTokens.to_type(ScalarType.Float32).to(_weights["proj"].device);
        long batch = x.shape[0];
        x = cat([x, _weights["style_embedding"].expand(batch, Tokens, Width)], 1);
        x = Norm(x, "ln_pre");
        for (int l = 0; l < Layers; l++)
        {
            string p = $"transformer_layes.{l}.";
            x = x.Add(Attention(Norm(x, p + "ln_1"), p + "attn."));
            Tensor h = F.linear(Norm(x, p + "ln_2"), _weights[p + "mlp.c_fc.weight"], _weights[p + "mlp.c_fc.bias"]);
            h = h * sigmoid(h.Mul(1.702));
            x = x.Add(F.linear(h, _weights[p + "mlp.c_proj.weight"], _weights[p + "mlp.c_proj.bias"]));
        }
        x = Norm(x.narrow(1, x.shape[1] - Tokens, Tokens), "ln_post");
        return x.matmul(_weights["proj"]).MoveToOuterDisposeScope();
    }

    private Tensor Norm(Tensor x, string key) => F.layer_norm(x, [Width], _weights[key + ".weight"], _weights[key + ".bias"], 1e-5);

    private Tensor Attention(Tensor x, string p)
    {
        long batch = x.shape[0], length = x.shape[1];
        Tensor[] qkv = F.linear(x, _weights[p + "in_proj_weight"], _weights[p + "in_proj_bias"]).chunk(3, -1);
        Tensor Split(Tensor t) => t.view(batch, length, Heads, Width / Heads).transpose(1, 2);
        Tensor attended = F.scaled_dot_product_attention(Split(qkv[0]), Split(qkv[1]), Split(qkv[2]));
        Tensor merged = attended.transpose(1, 2).reshape(batch, length, Width);
        return F.linear(merged, _weights[p + "out_proj.weight"], _weights[p + "out_proj.bias"]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Tensor t in _weights.Values)
        {
            t.Dispose();
        }
    }
}
