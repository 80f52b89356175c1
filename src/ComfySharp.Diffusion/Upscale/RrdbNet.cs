using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Upscale;

/// <summary>The shape of an ESRGAN network, read from its keys.</summary>
/// <param name="InChannels">Channels of <c>model.0</c>'s input (after any pixel unshuffle).</param>
/// <param name="OutChannels">Channels of the last convolution.</param>
/// <param name="Features">Feature channels (nf, 64 for the published models).</param>
/// <param name="GrowthChannels">Growth channels of the dense blocks (gc, 32).</param>
/// <param name="Blocks">RRDB blocks (23 for the published 4× models).</param>
/// <param name="Upsamplings">Nearest ×2 + convolution stages (0 to 3).</param>
/// <param name="Unshuffle">Pixel-unshuffle factor applied first (Real-ESRGAN 2× uses 2, 1× uses 4), or 1.</param>
public sealed record RrdbConfig(int InChannels, int OutChannels, int Features, int GrowthChannels, int Blocks, int Upsamplings, int Unshuffle)
{
    /// <summary>Output size over input size.</summary>
    public int Scale => (1 << Upsamplings) / Unshuffle;
}

/// <summary>
/// ESRGAN's RRDBNet in the original repository's key layout (<c>model.0</c>, <c>model.1.sub.N.RDB1.conv1.0</c>, ...).
/// Files in the BasicSR / Real-ESRGAN layout (<c>conv_first</c>, <c>body.N.rdb1.conv1</c>, ...) are renamed to it
/// by <see cref="UpscaleModelLoading"/>. The maths follow the published network: residual dense blocks
/// scaled by 0.2, LeakyReLU(0.2), nearest ×2 upsampling stages, optional pixel unshuffle in front.
/// </summary>
public sealed class RrdbNet : UpscaleNetwork
{
    private const double ResidualScale = 0.2;
    private const double Slope = 0.2;

    private readonly Conv2dLayer _first;
    private readonly ShortcutBlock _trunk;
    private readonly List<Conv2dLayer> _ups = [];
    private readonly Conv2dLayer _hr;
    private readonly Conv2dLayer _last;

    /// <summary>Builds an uninitialised network of shape <paramref name="config"/>.</summary>
    public RrdbNet(RrdbConfig config) : base(nameof(RrdbNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        int nf = config.Features;
        _first = new Conv2dLayer(config.InChannels, nf, 3, padding: 1);
        _trunk = new ShortcutBlock(nf, config.GrowthChannels, config.Blocks);
        var children = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", _first), ("1", _trunk) };
        for (int i = 0; i < config.Upsamplings; i++)
        {
            var up = new Conv2dLayer(nf, nf, 3, padding: 1);
            _ups.Add(up);
            children.Add(((3 + (3 * i)).ToString(System.Globalization.CultureInfo.InvariantCulture), up));
        }
        _hr = new Conv2dLayer(nf, nf, 3, padding: 1);
        _last = new Conv2dLayer(nf, config.OutChannels, 3, padding: 1);
        children.Add((HrIndex(config.Upsamplings).ToString(System.Globalization.CultureInfo.InvariantCulture), _hr));
        children.Add((LastIndex(config.Upsamplings).ToString(System.Globalization.CultureInfo.InvariantCulture), _last));
        register_module("model", nn.Sequential([.. children]));
    }

    /// <summary>The shape.</summary>
    public RrdbConfig Config { get; }

    /// <inheritdoc />
    public override string Architecture => "ESRGAN";

    /// <inheritdoc />
    public override int Scale => Config.Scale;

    /// <inheritdoc />
    public override int InChannels => Config.InChannels / (Config.Unshuffle * Config.Unshuffle);

    /// <inheritdoc />
    public override int OutChannels => Config.OutChannels;

    /// <summary>Index of the high-resolution convolution in <c>model</c>.</summary>
    public static int HrIndex(int upsamplings) => (3 * upsamplings) + 2;

    /// <summary>Index of the last convolution in <c>model</c>.</summary>
    public static int LastIndex(int upsamplings) => (3 * upsamplings) + 4;

    /// <inheritdoc />
    public override Tensor Upscale(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor x = images;
        if (Config.Unshuffle > 1)
        {
            // Pad to a multiple of the unshuffle factor (reflect), as Real-ESRGAN does, then crop back at the end.
            long h = x.shape[2], w = x.shape[3];
            long padH = (Config.Unshuffle - (h % Config.Unshuffle)) % Config.Unshuffle;
            long padW = (Config.Unshuffle - (w % Config.Unshuffle)) % Config.Unshuffle;
            if (padH > 0 || padW > 0)
            {
                x = F.pad(x, [0, padW, 0, padH], TorchSharp.PaddingModes.Reflect);
            }
            x = F.pixel_unshuffle(x, Config.Unshuffle);
        }
        Tensor feature = _first.forward(x);
        Tensor h1 = feature.Add(_trunk.forward(feature));
        foreach (var up in _ups)
        {
            h1 = F.leaky_relu(up.forward(F.interpolate(h1, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)), Slope);
        }
        Tensor output = _last.forward(F.leaky_relu(_hr.forward(h1), Slope));
        if (Config.Unshuffle > 1)
        {
            output = output.narrow(2, 0, images.shape[2] * Scale).narrow(3, 0, images.shape[3] * Scale);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary><c>model.1</c>: the RRDB trunk and its closing convolution, added back to its input by the caller.</summary>
    private sealed class ShortcutBlock : nn.Module<Tensor, Tensor>
    {
        private readonly List<Rrdb> _blocks = [];
        private readonly Conv2dLayer _close;

        public ShortcutBlock(int nf, int gc, int blocks) : base(nameof(ShortcutBlock))
        {
            var children = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int i = 0; i < blocks; i++)
            {
                var block = new Rrdb(nf, gc);
                _blocks.Add(block);
                children.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
            }
            _close = new Conv2dLayer(nf, nf, 3, padding: 1);
            children.Add((blocks.ToString(System.Globalization.CultureInfo.InvariantCulture), _close));
            register_module("sub", nn.Sequential([.. children]));
        }

        public override Tensor forward(Tensor input)
        {
            Tensor h = input;
            foreach (var block in _blocks)
            {
                using var scope = NewDisposeScope();
                h = block.forward(h).MoveToOuterDisposeScope();
            }
            return _close.forward(h);
        }
    }

    /// <summary>Residual-in-residual dense block: three dense blocks, scaled by 0.2 and added to the input.</summary>
    private sealed class Rrdb : nn.Module<Tensor, Tensor>
    {
        private readonly DenseBlock[] _dense;

        public Rrdb(int nf, int gc) : base(nameof(Rrdb))
        {
            _dense = [new DenseBlock(nf, gc), new DenseBlock(nf, gc), new DenseBlock(nf, gc)];
            for (int i = 0; i < 3; i++)
            {
                register_module("RDB" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), _dense[i]);
            }
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            Tensor h = _dense[2].forward(_dense[1].forward(_dense[0].forward(input)));
            return h.Mul(ResidualScale).Add(input).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Five densely connected 3×3 convolutions (<c>conv1.0</c> .. <c>conv5.0</c>).</summary>
    private sealed class DenseBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2dLayer[] _convs;

        public DenseBlock(int nf, int gc) : base(nameof(DenseBlock))
        {
            _convs =
            [
                new Conv2dLayer(nf, gc, 3, padding: 1),
                new Conv2dLayer(nf + gc, gc, 3, padding: 1),
                new Conv2dLayer(nf + (2 * gc), gc, 3, padding: 1),
                new Conv2dLayer(nf + (3 * gc), gc, 3, padding: 1),
                new Conv2dLayer(nf + (4 * gc), nf, 3, padding: 1),
            ];
            for (int i = 0; i < _convs.Length; i++)
            {
                register_module("conv" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), nn.Sequential(("0", _convs[i])));
            }
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var features = new List<Tensor> { input };
            for (int i = 0; i < 4; i++)
            {
                features.Add(F.leaky_relu(_convs[i].forward(cat(features, 1)), Slope));
            }
            Tensor x5 = _convs[4].forward(cat(features, 1));
            return x5.Mul(ResidualScale).Add(input).MoveToOuterDisposeScope();
        }
    }
}
