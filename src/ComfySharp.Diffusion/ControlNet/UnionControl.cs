using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Torch.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// The extra parts of a union ControlNet (xinsir's ControlNet++ / "ProMax", the reference's
/// <c>union_controlnet_num_control_type</c>): <paramref name="Types"/> control types, condition features
/// <paramref name="Width"/> wide (the reference fixes 320, SDXL's model channels), and a control-type embedding of
/// <paramref name="TypeEmbedDim"/> (256) sinusoidal values per type.
/// </summary>
/// <param name="Types">Rows of <c>task_embedding</c> (6, or 8 for ProMax).</param>
/// <param name="Width">Width of the condition transformer.</param>
/// <param name="TypeEmbedDim">Sinusoidal width per type in <c>control_add_embedding</c>.</param>
public sealed record UnionConfig(int Types, int Width, int TypeEmbedDim)
{
    /// <summary>Attention heads of the condition transformer (fixed by the reference).</summary>
    public const int Heads = 8;
}

/// <summary>
/// One block of the union condition transformer (the reference's <c>ResBlockUnionControlnet</c>): x + attn(ln_1(x)),
/// then x + mlp(ln_2(x)); attention with a packed <c>in_proj</c> (q, k, v rows) and <c>out_proj</c>, a QuickGELU MLP.
/// </summary>
public sealed class UnionTransformerBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Sequential attn;
    private LayerNormLayer ln_1;
    private Sequential mlp;
    private LayerNormLayer ln_2;
#pragma warning restore IDE0044
    private readonly LinearLayer _inProj;
    private readonly LinearLayer _outProj;
    private readonly LinearLayer _fc;
    private readonly LinearLayer _proj;
    private readonly int _width;

    /// <summary>Creates the block for <paramref name="width"/>-wide tokens.</summary>
    public UnionTransformerBlock(int width) : base(nameof(UnionTransformerBlock))
    {
        _width = width;
        _inProj = new LinearLayer(width, 3L * width);
        _outProj = new LinearLayer(width, width);
        _fc = new LinearLayer(width, 4L * width);
        _proj = new LinearLayer(4L * width, width);
        attn = nn.Sequential(("in_proj", _inProj), ("out_proj", _outProj));
        ln_1 = new LayerNormLayer(width);
        mlp = nn.Sequential(("c_fc", _fc), ("c_proj", _proj));
        ln_2 = new LayerNormLayer(width);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        long b = input.shape[0], n = input.shape[1];
        int headDim = _width / UnionConfig.Heads;
        Tensor[] qkv = _inProj.forward(ln_1.forward(input)).split(_width, 2);
        Tensor Heads(Tensor t) => t.reshape(b, n, UnionConfig.Heads, headDim).transpose(1, 2);
        Tensor attended = F.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2])).transpose(1, 2).reshape(b, n, _width);
        Tensor x = input.Add(_outProj.forward(attended));
        Tensor hidden = _fc.forward(ln_2.forward(x));
        hidden = hidden.mul(sigmoid(hidden.Mul(1.702)));
        return x.Add(_proj.forward(hidden)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The control-type embedding added to the timestep embedding (the reference's <c>ControlAddEmbedding</c>): a
/// one-hot vector over the types, each entry embedded sinusoidally (<see cref="UNetModel.TimestepEmbedding"/>),
/// flattened, then linear_1 → SiLU → linear_2.
/// </summary>
public sealed class ControlAddEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private LinearLayer linear_1;
    private LinearLayer linear_2;
#pragma warning restore IDE0044
    private readonly UnionConfig _config;

    /// <summary>Creates the embedding for <paramref name="config"/>, producing <paramref name="embedDim"/> values.</summary>
    public ControlAddEmbedding(UnionConfig config, int embedDim) : base(nameof(ControlAddEmbedding))
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        linear_1 = new LinearLayer((long)config.Types * config.TypeEmbedDim, embedDim);
        linear_2 = new LinearLayer(embedDim, embedDim);
        RegisterComponents();
    }

    /// <summary>The embedding [1, embedDim] of <paramref name="oneHot"/> ([types], 0/1 values, in the weights' dtype).</summary>
    public override Tensor forward(Tensor oneHot)
    {
        ArgumentNullException.ThrowIfNull(oneHot);
        using var scope = NewDisposeScope();
        Tensor embedded = UNetModel.TimestepEmbedding(oneHot.to_type(ScalarType.Float32), _config.TypeEmbedDim)
            .reshape(1, (long)_config.Types * _config.TypeEmbedDim).to_type(oneHot.dtype);
        return linear_2.forward(F.silu(linear_1.forward(embedded))).MoveToOuterDisposeScope();
    }

    /// <summary>The one-hot vector of <paramref name="controlType"/> (empty: all zeros, the reference's "auto").</summary>
    public Tensor OneHot(IReadOnlyList<int> controlType, Device device)
    {
        ArgumentNullException.ThrowIfNull(controlType);
        float[] values = new float[_config.Types];
        foreach (int type in controlType)
        {
            if (type < 0 || type >= _config.Types)
            {
                throw new ArgumentException($"This union ControlNet knows {_config.Types} control types; type {type} is out of range.", nameof(controlType));
            }
            values[type] = 1f;
        }
        return tensor(values, device: device);
    }
}
