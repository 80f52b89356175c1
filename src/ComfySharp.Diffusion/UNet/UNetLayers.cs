using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.UNet;

/// <summary>One layer of a UNet block: it may use the timestep embedding, the context, or the size of the next skip.</summary>
public abstract class UNetLayer : nn.Module
{
    /// <summary>Creates the layer.</summary>
    protected UNetLayer(string name) : base(name) { }

    /// <summary>Applies the layer; <paramref name="outputSize"/> is the spatial size an upsampler must reach, when known.</summary>
    public abstract Tensor Forward(Tensor x, Tensor emb, Tensor context, long[]? outputSize);
}

/// <summary>A plain convolution inside a block (<c>input_blocks.0.0</c>).</summary>
public sealed class ConvInLayer : UNetLayer
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Parameter weight;
    private Parameter bias;
#pragma warning restore IDE0044

    /// <summary>Creates a 3×3 convolution with padding 1.</summary>
    public ConvInLayer(int inChannels, int outChannels) : base(nameof(ConvInLayer))
    {
        weight = new Parameter(empty(outChannels, inChannels, 3, 3), requires_grad: false);
        bias = new Parameter(empty(outChannels), requires_grad: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor emb, Tensor context, long[]? outputSize) =>
        F.conv2d(x, weight, bias, padding: [1, 1]);
}

/// <summary>Residual block conditioned on the timestep embedding.</summary>
public sealed class ResBlock : UNetLayer
{
#pragma warning disable IDE0044
    private Sequential in_layers;
    private Sequential emb_layers;
    private Sequential out_layers;
    private Conv2dLayer? skip_connection;
#pragma warning restore IDE0044

    /// <summary>Creates a block from <paramref name="channels"/> to <paramref name="outChannels"/>.</summary>
    public ResBlock(int channels, int embDim, int outChannels) : base(nameof(ResBlock))
    {
        in_layers = nn.Sequential(
            ("0", new GroupNormLayer(32, channels, 1e-5)),
            ("1", new SiLULayer()),
            ("2", new Conv2dLayer(channels, outChannels, 3, padding: 1)));
        emb_layers = nn.Sequential(
            ("0", new SiLULayer()),
            ("1", new LinearLayer(embDim, outChannels)));
        out_layers = nn.Sequential(
            ("0", new GroupNormLayer(32, outChannels, 1e-5)),
            ("1", new SiLULayer()),
            ("2", new IdentityLayer()),
            ("3", new Conv2dLayer(outChannels, outChannels, 3, padding: 1)));
        skip_connection = channels == outChannels ? null : new Conv2dLayer(channels, outChannels, 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor emb, Tensor context, long[]? outputSize)
    {
        using var scope = NewDisposeScope();
        Tensor h = in_layers.forward(x);
        Tensor embOut = emb_layers.forward(emb).to_type(h.dtype);
        h = out_layers.forward(h.Add(embOut[.., .., TensorIndex.None, TensorIndex.None]));
        Tensor skip = skip_connection is null ? x : skip_connection.forward(x);
        return skip.Add(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Strided 3×3 convolution halving the resolution (key <c>op</c>).</summary>
public sealed class Downsample : UNetLayer
{
#pragma warning disable IDE0044
    private Conv2dLayer op;
#pragma warning restore IDE0044

    /// <summary>Creates the downsampler.</summary>
    public Downsample(int channels) : base(nameof(Downsample))
    {
        op = new Conv2dLayer(channels, channels, 3, stride: 2, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor emb, Tensor context, long[]? outputSize) => op.forward(x);
}

/// <summary>Nearest-neighbour ×2 (or to the next skip's size) followed by a 3×3 convolution (key <c>conv</c>).</summary>
public sealed class Upsample : UNetLayer
{
#pragma warning disable IDE0044
    private Conv2dLayer conv;
#pragma warning restore IDE0044

    /// <summary>Creates the upsampler.</summary>
    public Upsample(int channels) : base(nameof(Upsample))
    {
        conv = new Conv2dLayer(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor emb, Tensor context, long[]? outputSize)
    {
        using var scope = NewDisposeScope();
        // Odd latent sizes do not double back exactly: the reference resizes to the skip's size instead.
        long[] size = outputSize ?? [x.shape[2] * 2, x.shape[3] * 2];
        Tensor up = F.interpolate(x, size: size, mode: InterpolationMode.Nearest);
        return conv.forward(up).MoveToOuterDisposeScope();
    }
}
