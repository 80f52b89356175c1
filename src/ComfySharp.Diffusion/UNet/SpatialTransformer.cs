using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.UNet;

/// <summary>Multi-head attention with bias-free q/k/v projections and an output projection (<c>to_out.0</c>).</summary>
public sealed class CrossAttention : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private LinearLayer to_q;
    private LinearLayer to_k;
    private LinearLayer to_v;
    private Sequential to_out;
#pragma warning restore IDE0044
    private readonly int _heads;

    /// <summary>Creates the attention; <paramref name="contextDim"/> equals <paramref name="queryDim"/> for self-attention.</summary>
    public CrossAttention(int queryDim, int contextDim, int heads, int headDim) : base(nameof(CrossAttention))
    {
        int inner = heads * headDim;
        to_q = new LinearLayer(queryDim, inner, hasBias: false);
        to_k = new LinearLayer(contextDim, inner, hasBias: false);
        to_v = new LinearLayer(contextDim, inner, hasBias: false);
        to_out = nn.Sequential(("0", new LinearLayer(inner, queryDim)), ("1", new IdentityLayer()));
        _heads = heads;
        RegisterComponents();
    }

    /// <summary>Attends from <paramref name="x"/> [B, N, C] to <paramref name="context"/> [B, M, D].</summary>
    public override Tensor forward(Tensor x, Tensor context) => Attend(x, context, context);

    /// <summary>Heads of this attention.</summary>
    public int Heads => _heads;

    /// <summary>Attends with separate key and value inputs (self-attention hooks may change them apart).</summary>
    public Tensor Attend(Tensor x, Tensor context, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(value);
        using var scope = NewDisposeScope();
        long batch = x.shape[0];
        Tensor q = SplitHeads(to_q.forward(x), batch);
        Tensor k = SplitHeads(to_k.forward(context), batch);
        Tensor v = SplitHeads(to_v.forward(value), batch);
        Tensor attended = F.scaled_dot_product_attention(q, k, v);
        Tensor merged = attended.transpose(1, 2).reshape(batch, -1, attended.shape[1] * attended.shape[3]);
        return to_out.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>Projects q, k, v, hands them to <paramref name="replacement"/> instead of attending, and projects its result out.</summary>
    public Tensor AttendReplaced(Tensor x, Tensor context, Tensor value, Models.AttentionReplace replacement, Models.UNetHookContext hooks)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        using var scope = NewDisposeScope();
        Tensor merged = replacement(to_q.forward(x), to_k.forward(context), to_v.forward(value), hooks);
        return to_out.forward(merged).MoveToOuterDisposeScope();
    }

    private Tensor SplitHeads(Tensor t, long batch) => t.view(batch, -1, _heads, t.shape[2] / _heads).transpose(1, 2);
}

/// <summary>Gated GELU projection (<c>ff.net.0</c>): one linear layer producing value and gate halves.</summary>
public sealed class GEGLU : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private LinearLayer proj;
#pragma warning restore IDE0044

    /// <summary>Creates the projection from <paramref name="dim"/> to <paramref name="innerDim"/>.</summary>
    public GEGLU(int dim, int innerDim) : base(nameof(GEGLU))
    {
        proj = new LinearLayer(dim, innerDim * 2);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor[] halves = proj.forward(input).chunk(2, -1);
        return (halves[0] * F.gelu(halves[1])).MoveToOuterDisposeScope();
    }
}

/// <summary>Feed-forward block (<c>ff.net.0</c> GEGLU, <c>ff.net.2</c> linear).</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Sequential net;
#pragma warning restore IDE0044

    /// <summary>Creates the block with a 4× inner width.</summary>
    public FeedForward(int dim) : base(nameof(FeedForward))
    {
        int inner = dim * 4;
        net = nn.Sequential(("0", new GEGLU(dim, inner)), ("1", new IdentityLayer()), ("2", new LinearLayer(inner, dim)));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => net.forward(input);
}

/// <summary>Self-attention, cross-attention and feed-forward, each pre-normalised and residual.</summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE0044
    private CrossAttention attn1;
    private CrossAttention attn2;
    private FeedForward ff;
    private LayerNormLayer norm1;
    private LayerNormLayer norm2;
    private LayerNormLayer norm3;
#pragma warning restore IDE0044

    /// <summary>Creates the block.</summary>
    public BasicTransformerBlock(int dim, int heads, int headDim, int contextDim) : base(nameof(BasicTransformerBlock))
    {
        attn1 = new CrossAttention(dim, dim, heads, headDim);
        attn2 = new CrossAttention(dim, contextDim, heads, headDim);
        ff = new FeedForward(dim);
        norm1 = new LayerNormLayer(dim);
        norm2 = new LayerNormLayer(dim);
        norm3 = new LayerNormLayer(dim);
        RegisterComponents();
    }

    /// <summary>Applied to the tokens after self-attention (the reference's <c>middle_patch</c>, used by GLIGEN); null = none.</summary>
    internal Func<Tensor, Tensor>? MiddlePatch { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        Tensor n1 = norm1.forward(x);
        x = x.Add(Models.UNetHookContext.Current is { } hooks ? UNetHooks.SelfAttention(attn1, n1, hooks) : attn1.forward(n1, n1));
        if (MiddlePatch is { } patch)
        {
            x = patch(x);
        }
        Tensor n2 = norm2.forward(x);
        x = x.Add(Models.UNetHookContext.Current is { Options.CrossAttentionPatches.Count: > 0 } crossHooks
            ? UNetHooks.CrossAttention(attn2, n2, context, crossHooks) : attn2.forward(n2, context));
        x = x.Add(ff.forward(norm3.forward(x)));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>Image-to-tokens transformer with a residual around it.</summary>
public sealed class SpatialTransformer : UNetLayer
{
#pragma warning disable IDE0044
    private GroupNormLayer norm;
    private nn.Module<Tensor, Tensor> proj_in;
    private ModuleList<BasicTransformerBlock> transformer_blocks;
    private nn.Module<Tensor, Tensor> proj_out;
#pragma warning restore IDE0044
    private readonly bool _useLinear;

    /// <summary>Creates the transformer over <paramref name="channels"/> channels.</summary>
    public SpatialTransformer(int channels, int heads, int headDim, int depth, int contextDim, bool useLinear) : base(nameof(SpatialTransformer))
    {
        int inner = heads * headDim;
        norm = new GroupNormLayer(32, channels, 1e-6);
        proj_in = useLinear ? new LinearLayer(channels, inner) : new Conv2dLayer(channels, inner, 1);
        transformer_blocks = new ModuleList<BasicTransformerBlock>(
            Enumerable.Range(0, depth).Select(_ => new BasicTransformerBlock(inner, heads, headDim, contextDim)).ToArray());
        proj_out = useLinear ? new LinearLayer(inner, channels) : new Conv2dLayer(inner, channels, 1);
        _useLinear = useLinear;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor emb, Tensor context, long[]? outputSize)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        Tensor t = norm.forward(x);
        if (!_useLinear)
        {
            t = proj_in.forward(t);
        }
        long inner = t.shape[1];
        t = t.permute(0, 2, 3, 1).reshape(b, h * w, inner);
        if (_useLinear)
        {
            t = proj_in.forward(t);
        }
        Models.UNetHookContext? hooks = Models.UNetHookContext.Current;
        int index = 0;
        foreach (var block in transformer_blocks)
        {
            if (hooks is not null)
            {
                hooks.TransformerIndex = index++;
            }
            t = block.forward(t, context);
        }
        if (_useLinear)
        {
            t = proj_out.forward(t);
        }
        t = t.reshape(b, h, w, -1).permute(0, 3, 1, 2).contiguous();
        if (!_useLinear)
        {
            t = proj_out.forward(t);
        }
        return t.Add(x).MoveToOuterDisposeScope();
    }
}
