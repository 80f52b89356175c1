using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Layers;

// These layers allocate their parameters uninitialised: every weight is overwritten by a strict
// checkpoint load, so random initialisation (seconds for a 3.4 GB UNet) would be wasted work.

/// <summary>A 2-D convolution whose parameters are named <c>weight</c> and <c>bias</c> like PyTorch's.</summary>
public sealed class Conv2dLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // RegisterComponents discovers parameters through their fields.
    private Parameter weight;
    private Parameter bias;
#pragma warning restore IDE0044
    private readonly long[] _stride;
    private readonly long[] _padding;

    /// <summary>Creates a square-kernel convolution.</summary>
    public Conv2dLayer(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0) : base(nameof(Conv2dLayer))
    {
        weight = new Parameter(empty(outChannels, inChannels, kernelSize, kernelSize), requires_grad: false);
        bias = new Parameter(empty(outChannels), requires_grad: false);
        _stride = [stride, stride];
        _padding = [padding, padding];
        RegisterComponents();
    }

    /// <summary>Output channels.</summary>
    public long OutChannels => weight.shape[0];

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => F.conv2d(input, weight, bias, _stride, _padding);
}

/// <summary>A linear layer with parameters <c>weight</c> [out, in] and optionally <c>bias</c>.</summary>
public sealed class LinearLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Parameter weight;
    private Parameter? bias;
#pragma warning restore IDE0044

    /// <summary>Creates a linear layer.</summary>
    public LinearLayer(long inFeatures, long outFeatures, bool hasBias = true) : base(nameof(LinearLayer))
    {
        weight = new Parameter(empty(outFeatures, inFeatures), requires_grad: false);
        bias = hasBias ? new Parameter(empty(outFeatures), requires_grad: false) : null;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
}

/// <summary>Group normalisation with affine <c>weight</c>/<c>bias</c>.</summary>
public sealed class GroupNormLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Parameter weight;
    private Parameter bias;
#pragma warning restore IDE0044
    private readonly long _groups;
    private readonly double _eps;

    /// <summary>Creates a group norm over <paramref name="channels"/> in <paramref name="groups"/> groups.</summary>
    public GroupNormLayer(long groups, long channels, double eps) : base(nameof(GroupNormLayer))
    {
        weight = new Parameter(empty(channels), requires_grad: false);
        bias = new Parameter(empty(channels), requires_grad: false);
        _groups = groups;
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => F.group_norm(input, _groups, weight, bias, _eps);
}

/// <summary>Layer normalisation over the last dimension with affine <c>weight</c>/<c>bias</c>.</summary>
public sealed class LayerNormLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Parameter weight;
    private Parameter bias;
#pragma warning restore IDE0044
    private readonly long[] _shape;
    private readonly double _eps;

    /// <summary>Creates a layer norm over a last dimension of size <paramref name="features"/>.</summary>
    public LayerNormLayer(long features, double eps = 1e-5) : base(nameof(LayerNormLayer))
    {
        weight = new Parameter(empty(features), requires_grad: false);
        bias = new Parameter(empty(features), requires_grad: false);
        _shape = [features];
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => F.layer_norm(input, _shape, weight, bias, _eps);
}

/// <summary>A parameterless placeholder keeping the index of an activation or dropout in a checkpoint's numbering.</summary>
public sealed class SiLULayer : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the activation.</summary>
    public SiLULayer() : base(nameof(SiLULayer)) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => F.silu(input);
}

/// <summary>Identity (inference-time dropout), kept so later indices match the checkpoint.</summary>
public sealed class IdentityLayer : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the identity.</summary>
    public IdentityLayer() : base(nameof(IdentityLayer)) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.alias();
}
