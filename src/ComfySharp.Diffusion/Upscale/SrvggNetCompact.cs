using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Upscale;

/// <summary>The shape of a Real-ESRGAN compact network, read from its keys.</summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Features">Feature channels (64 for the published models).</param>
/// <param name="Convolutions">Body convolutions between the first and the last (16 or 32).</param>
/// <param name="UpscaleFactor">Pixel-shuffle factor.</param>
public sealed record CompactConfig(int InChannels, int OutChannels, int Features, int Convolutions, int UpscaleFactor);

/// <summary>
/// Real-ESRGAN's SRVGGNetCompact (<c>body.0</c> convolution, <c>body.1</c> PReLU, ..., last convolution
/// to out·scale² channels): the body's output is pixel-shuffled and added to a nearest-neighbour
/// upscale of the input, so a network whose last convolution is zero reproduces the nearest upscale.
/// </summary>
public sealed class SrvggNetCompact : UpscaleNetwork
{
    private readonly List<Conv2dLayer> _convs = [];
    private readonly List<PReluLayer> _activations = [];

    /// <summary>Builds an uninitialised network of shape <paramref name="config"/>.</summary>
    public SrvggNetCompact(CompactConfig config) : base(nameof(SrvggNetCompact))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var children = new List<(string, nn.Module<Tensor, Tensor>)>();
        int index = 0;
        void Add(nn.Module<Tensor, Tensor> module) =>
            children.Add(((index++).ToString(System.Globalization.CultureInfo.InvariantCulture), module));
        for (int i = 0; i <= config.Convolutions; i++)
        {
            var conv = new Conv2dLayer(i == 0 ? config.InChannels : config.Features, config.Features, 3, padding: 1);
            var act = new PReluLayer(config.Features);
            _convs.Add(conv);
            _activations.Add(act);
            Add(conv);
            Add(act);
        }
        var last = new Conv2dLayer(config.Features, config.OutChannels * config.UpscaleFactor * config.UpscaleFactor, 3, padding: 1);
        _convs.Add(last);
        Add(last);
        register_module("body", nn.Sequential([.. children]));
    }

    /// <summary>The shape.</summary>
    public CompactConfig Config { get; }

    /// <inheritdoc />
    public override string Architecture => "RealESRGAN Compact";

    /// <inheritdoc />
    public override int Scale => Config.UpscaleFactor;

    /// <inheritdoc />
    public override int InChannels => Config.InChannels;

    /// <inheritdoc />
    public override int OutChannels => Config.OutChannels;

    /// <inheritdoc />
    public override Tensor Upscale(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor h = images;
        for (int i = 0; i < _activations.Count; i++)
        {
            h = _activations[i].forward(_convs[i].forward(h));
        }
        h = F.pixel_shuffle(_convs[^1].forward(h), Config.UpscaleFactor);
        Tensor nearest = images;
        if (Config.InChannels != Config.OutChannels)
        {
            throw new InvalidOperationException($"A compact network with {Config.InChannels} input and {Config.OutChannels} output channels has no residual base.");
        }
        if (Config.UpscaleFactor > 1)
        {
            nearest = F.interpolate(images, scale_factor: [Config.UpscaleFactor, Config.UpscaleFactor], mode: InterpolationMode.Nearest);
        }
        return h.Add(nearest).MoveToOuterDisposeScope();
    }

    /// <summary>PReLU with one slope per channel (parameter <c>weight</c>).</summary>
    private sealed class PReluLayer : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter _weight;

        public PReluLayer(int channels) : base(nameof(PReluLayer))
        {
            _weight = new Parameter(empty(channels), requires_grad: false);
            register_parameter("weight", _weight);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            Tensor slope = _weight.view(1, -1, 1, 1);
            return where(input.Lt(0.0), input * slope, input).MoveToOuterDisposeScope();
        }
    }
}
