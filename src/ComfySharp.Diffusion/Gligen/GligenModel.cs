using System.Globalization;
using System.Text.RegularExpressions;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Gligen;

/// <summary>A file is not a GLIGEN model; the message names what the keys showed.</summary>
public sealed class UnsupportedGligenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedGligenException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedGligenException() { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedGligenException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>One text box: the prompt's pooled embedding and its place in latent cells (the reference's <c>position_params</c> tuple).</summary>
/// <param name="Pooled">Pooled text embedding [1, key width].</param>
/// <param name="Height">Box height in latent cells.</param>
/// <param name="Width">Box width in latent cells.</param>
/// <param name="Y">Top in latent cells.</param>
/// <param name="X">Left in latent cells.</param>
public sealed record GligenBox(Tensor Pooled, long Height, long Width, long Y, long X);

/// <summary>The conditioning option GLIGENTextBoxApply sets (the reference's <c>("position", model, boxes)</c>).</summary>
/// <param name="Model">The GLIGEN model.</param>
/// <param name="Boxes">The boxes, in the order they were added.</param>
public sealed record GligenCondition(GligenModel Model, IReadOnlyList<GligenBox> Boxes)
{
    /// <summary>Conditioning option key.</summary>
    public const string Key = "gligen";
}

/// <summary>
/// The reference's <c>gligen.GatedSelfAttentionDense</c>: the grounding tokens (projected by <c>linear</c>) join the
/// visual tokens for a self-attention whose visual part is added with gate tanh(alpha_attn), then a GEGLU
/// feed-forward with gate tanh(alpha_dense).
/// </summary>
public sealed class GatedSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are file keys.
    private LinearLayer linear;
    private CrossAttention attn;
    private FeedForward ff;
    private LayerNormLayer norm1;
    private LayerNormLayer norm2;
    private Parameter alpha_attn;
    private Parameter alpha_dense;
#pragma warning restore IDE0044

    /// <summary>Creates the fuser for <paramref name="queryDim"/>-wide tokens and <paramref name="keyDim"/>-wide grounding tokens.</summary>
    public GatedSelfAttention(int queryDim, int keyDim, int heads, int headDim) : base(nameof(GatedSelfAttention))
    {
        linear = new LinearLayer(keyDim, queryDim);
        attn = new CrossAttention(queryDim, queryDim, heads, headDim);
        ff = new FeedForward(queryDim);
        norm1 = new LayerNormLayer(queryDim);
        norm2 = new LayerNormLayer(queryDim);
        alpha_attn = new Parameter(zeros(Array.Empty<long>()), requires_grad: false);
        alpha_dense = new Parameter(zeros(Array.Empty<long>()), requires_grad: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor objs)
    {
        using var scope = NewDisposeScope();
        long visual = x.shape[1];
        Tensor grounding = linear.forward(objs.to(x.device).to_type(x.dtype));
        Tensor joint = norm1.forward(cat([x, grounding], 1));
        x = x.Add(tanh(alpha_attn) * attn.forward(joint, joint).narrow(1, 0, visual));
        x = x.Add(tanh(alpha_dense) * ff.forward(norm2.forward(x)));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A GLIGEN model (the reference's <c>gligen.Gligen</c> built by <c>load_gligen</c>): one gated self-attention per
/// transformer block of the UNet, in execution order, and the position net that turns boxes and pooled text into
/// grounding tokens (up to 30 objects).
/// </summary>
public sealed partial class GligenModel : nn.Module, IModelMemory
{
    /// <summary>Objects per image (the reference's <c>max_objs</c>).</summary>
    public const int MaxObjects = 30;

#pragma warning disable IDE0044
    private ModuleList<GatedSelfAttention> module_list;
    private PositionNet position_net;
#pragma warning restore IDE0044

    private GligenModel(List<GatedSelfAttention> fusers, PositionNet positionNet, int keyDim) : base(nameof(GligenModel))
    {
        module_list = new ModuleList<GatedSelfAttention>([.. fusers]);
        position_net = positionNet;
        KeyDim = keyDim;
        RegisterComponents();
    }

    /// <summary>Width of the pooled text embeddings it reads (768 for SD1.x).</summary>
    public int KeyDim { get; }

    /// <summary>Number of gated self-attention blocks (one per UNet transformer block).</summary>
    public int Blocks => module_list.Count;

    /// <inheritdoc />
    public long WeightBytes => parameters().Sum(p => p.NumberOfElements * p.ElementSize);

    [GeneratedRegex(@"(input_blocks|middle_block|output_blocks)\.(\d+)\..*?\.fuser\.(.+)$")]
    private static partial Regex Fuser();

    /// <summary>Loads a GLIGEN file; anything else is refused, naming what the keys look like.</summary>
    public static GligenModel LoadFile(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        string name = Path.GetFileName(path);
        var keys = file.Keys.ToList();
        string[] sections = ["input_blocks", "middle_block", "output_blocks"];
        var groups = keys.Select(k => (Key: k, Match: Fuser().Match(k))).Where(t => t.Match.Success)
            .GroupBy(t => (Section: Array.IndexOf(sections, t.Match.Groups[1].Value), Block: int.Parse(t.Match.Groups[2].Value, CultureInfo.InvariantCulture)))
            .OrderBy(g => g.Key.Section).ThenBy(g => g.Key.Block).ToList();
        string positionPrefix = keys.FirstOrDefault(k => k.EndsWith("position_net.null_positive_feature", StringComparison.Ordinal)) is { } marker
            ? marker[..^"null_positive_feature".Length] : "";
        if (groups.Count == 0 || positionPrefix.Length == 0)
        {
            throw new UnsupportedGligenException($"'{name}' is not a GLIGEN model (no fuser blocks with a position_net); its keys look like {ModelKeyKinds.Describe(keys)}.");
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var fusers = new List<GatedSelfAttention>();
        int keyDim = 768;
        foreach (var group in groups)
        {
            long[] linear = file.GetInfo(group.First(t => t.Match.Groups[3].Value == "linear.weight").Key).Shape;
            int queryDim = (int)linear[0];
            keyDim = (int)linear[1];
            (int heads, int headDim) = keyDim == 768 ? (8, queryDim / 8) : (queryDim / 64, 64);
            fusers.Add(new GatedSelfAttention(queryDim, keyDim, heads, headDim));
            foreach (var (key, match) in group)
            {
                map[$"module_list.{fusers.Count - 1}.{match.Groups[3].Value}"] = key;
            }
        }
        foreach (string key in keys.Where(k => k.StartsWith(positionPrefix, StringComparison.Ordinal)))
        {
            map["position_net." + key[positionPrefix.Length..]] = key;
        }
        int inDim = (int)file.GetInfo(positionPrefix + "null_positive_feature").Shape[0];
        int outDim = (int)file.GetInfo(positionPrefix + "linears.4.weight").Shape[0];
        var model = new GligenModel(fusers, new PositionNet(inDim, outDim), keyDim);
        return StrictLoading.LoadOrDispose(model, map.Keys.ToList(), k => file.Load(map[k], ScalarType.Float32), $"GLIGEN '{name}'",
            m => m.to(options.ResolveDevice()));
    }

    /// <summary>
    /// The patch for a latent of <paramref name="latentShape"/> [B, C, h, w]: boxes as fractions (x1, y1, x2, y2), padded
    /// to 30 objects with masks, through the position net; block i then fuses the tokens with fuser i.
    /// </summary>
    public Func<int, Tensor, Tensor> Patch(long[] latentShape, IReadOnlyList<GligenBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(latentShape);
        ArgumentNullException.ThrowIfNull(boxes);
        if (boxes.Count > MaxObjects)
        {
            throw new InvalidOperationException($"GLIGEN takes at most {MaxObjects} boxes; got {boxes.Count}.");
        }
        long batch = latentShape[0], h = latentShape[2], w = latentShape[3];
        Tensor objs;
        using (NewDisposeScope())
        {
            var coordinates = new float[MaxObjects * 4];
            var masks = new float[MaxObjects];
            var embeddings = new List<Tensor>();
            for (int i = 0; i < boxes.Count; i++)
            {
                GligenBox b = boxes[i];
                coordinates[i * 4] = (float)(b.X / (double)w);
                coordinates[(i * 4) + 1] = (float)(b.Y / (double)h);
                coordinates[(i * 4) + 2] = (float)((b.X + b.Width) / (double)w);
                coordinates[(i * 4) + 3] = (float)((b.Y + b.Height) / (double)h);
                masks[i] = 1f;
                embeddings.Add(b.Pooled.to_type(ScalarType.Float32).cpu().reshape(1, -1));
            }
            embeddings.Add(zeros(MaxObjects - boxes.Count, KeyDim));
            Device device = position_net.Device;
            Tensor boxTensor = tensor(coordinates).view(1, MaxObjects, 4).repeat(batch, 1, 1).to(device);
            Tensor maskTensor = tensor(masks).view(1, MaxObjects).repeat(batch, 1).to(device);
            Tensor conds = cat(embeddings, 0).unsqueeze(0).repeat(batch, 1, 1).to(device);
            using var noGrad = no_grad();
            objs = position_net.Run(boxTensor, maskTensor, conds).DetachFromDisposeScope();
        }
        return (index, x) => index < module_list.Count
            ? module_list[index].forward(x, objs)
            : throw new InvalidOperationException($"The GLIGEN model has {module_list.Count} blocks but the UNet has more transformer blocks (is it for this model family?).");
    }
}

/// <summary>The reference's <c>gligen.PositionNet</c>: Fourier features of the boxes (8 frequencies) and the text, masked to learned null features, through an MLP.</summary>
public sealed class PositionNet : nn.Module
{
    private const int Frequencies = 8;
    private const int PositionDim = Frequencies * 2 * 4;

#pragma warning disable IDE0044
    private Sequential linears;
    private Parameter null_positive_feature;
    private Parameter null_position_feature;
#pragma warning restore IDE0044

    /// <summary>Creates the net from <paramref name="inDim"/>-wide text to <paramref name="outDim"/>-wide tokens.</summary>
    public PositionNet(int inDim, int outDim) : base(nameof(PositionNet))
    {
        linears = nn.Sequential(("0", new LinearLayer(inDim + PositionDim, 512)), ("1", new SiLULayer()), ("2", new LinearLayer(512, 512)),
            ("3", new SiLULayer()), ("4", new LinearLayer(512, outDim)));
        null_positive_feature = new Parameter(zeros(inDim), requires_grad: false);
        null_position_feature = new Parameter(zeros(PositionDim), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>Device of the weights.</summary>
    public Device Device => null_positive_feature.device;

    /// <summary>Grounding tokens [B, 30, out] from boxes [B, 30, 4], masks [B, 30] and pooled text [B, 30, in].</summary>
    public Tensor Run(Tensor boxes, Tensor masks, Tensor positive)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(positive);
        using var scope = NewDisposeScope();
        Tensor m = masks.unsqueeze(-1);
        Tensor inverse = m.RSub(1.0);
        var features = new List<Tensor>();
        Tensor bands = ScalarMath.Arange(0, Frequencies, ScalarType.Float32, boxes.device).Div(Frequencies);
        for (int f = 0; f < Frequencies; f++)
        {
            // 100^(f/8) as torch computes temperature ** (arange / n) in float32.
            Tensor frequency = pow(ScalarMath.Full([1], 100.0, ScalarType.Float32, boxes.device), bands.narrow(0, f, 1));
            Tensor scaled = frequency * boxes;
            features.Add(sin(scaled));
            features.Add(cos(scaled));
        }
        Tensor xyxy = cat(features, -1);
        Tensor text = (positive * m).Add(inverse * null_positive_feature.view(1, 1, -1));
        xyxy = (xyxy * m).Add(inverse * null_position_feature.view(1, 1, -1));
        return linears.forward(cat([text, xyxy], -1)).MoveToOuterDisposeScope();
    }
}
