using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// A T2I-Adapter (the reference's <c>t2i_adapter.adapter.Adapter</c> and <c>Adapter_light</c>, loaded by
/// <c>load_t2i_adapter</c>): the hint is pixel-unshuffled (8, or 16 for SDXL adapters) and run through four levels of
/// residual blocks once per hint; each level's features are added to the output of one UNet input block (SDXL: the last
/// level goes to the middle block). Parameter names are the original layout's keys.
/// </summary>
public sealed class T2IAdapterModel : nn.Module, IControlModel
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Conv2dLayer? conv_in;
    private ModuleList<nn.Module<Tensor, Tensor>> body;
#pragma warning restore IDE0044
    private readonly int _levels;
    private readonly int _blocksPerLevel;

    /// <summary>
    /// Builds an uninitialised adapter: <paramref name="light"/> selects <c>Adapter_light</c>; <paramref name="channels"/>
    /// per level; <paramref name="inChannels"/> after the unshuffle; <paramref name="blocksPerLevel"/> residual blocks per
    /// level; <paramref name="kernelSize"/> of the full adapter's second convolutions; <paramref name="convDown"/> strided
    /// convolutions (else average pooling) between levels; <paramref name="xl"/> the SDXL variant.
    /// </summary>
    public T2IAdapterModel(bool light, IReadOnlyList<int> channels, int inChannels, int blocksPerLevel, int kernelSize = 3, bool convDown = false, bool xl = false)
        : base(nameof(T2IAdapterModel))
    {
        ArgumentNullException.ThrowIfNull(channels);
        Light = light;
        Xl = xl && !light;
        UnshuffleAmount = Xl ? 16 : 8;
        HintChannels = inChannels / (UnshuffleAmount * UnshuffleAmount);
        _levels = channels.Count;
        _blocksPerLevel = blocksPerLevel;
        var blocks = new List<nn.Module<Tensor, Tensor>>();
        if (light)
        {
            for (int i = 0; i < channels.Count; i++)
            {
                blocks.Add(new AdapterExtractor(i == 0 ? inChannels : channels[i - 1], channels[i] / 4, channels[i], blocksPerLevel, down: i > 0));
            }
        }
        else
        {
            conv_in = new Conv2dLayer(inChannels, channels[0], 3, padding: 1);
            int[] downLevels = Xl ? [2] : [1, 2, 3];
            int[] changeLevels = Xl ? [1] : [];
            for (int i = 0; i < channels.Count; i++)
            {
                for (int j = 0; j < blocksPerLevel; j++)
                {
                    bool first = j == 0 && (downLevels.Contains(i) || changeLevels.Contains(i));
                    int inCh = first ? channels[i - 1] : channels[i];
                    blocks.Add(new AdapterResnetBlock(inCh, channels[i], down: j == 0 && downLevels.Contains(i), kernelSize, convDown));
                }
            }
        }
        body = new ModuleList<nn.Module<Tensor, Tensor>>([.. blocks]);
        RegisterComponents();
    }

    /// <summary>Adapter_light rather than the full adapter.</summary>
    public bool Light { get; }

    /// <summary>The SDXL variant (unshuffle 16, last level added to the middle block).</summary>
    public bool Xl { get; }

    /// <summary>The pixel-unshuffle factor; hints are resized to a multiple of it.</summary>
    public int UnshuffleAmount { get; }

    /// <inheritdoc />
    public int HintChannels { get; }

    /// <summary>Device the weights live on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Moves the weights to <paramref name="device"/> (float32, as the reference runs adapters in the latent's dtype).</summary>
    public T2IAdapterModel MoveTo(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.to(device);
        Device = device;
        return this;
    }

    /// <summary>
    /// The residuals for a hint [B, HintChannels, H, W] (H, W multiples of <see cref="UnshuffleAmount"/>): <c>Input</c>
    /// indexed by UNet input block (level i of an SD adapter after block 3i + 2; SDXL adapters after blocks 3, 5 and 8)
    /// and, for SDXL adapters, the middle residual. Float32 on the caller's device.
    /// </summary>
    public (List<Tensor?> Input, Tensor? Middle) Forward(Tensor hint)
    {
        ArgumentNullException.ThrowIfNull(hint);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Device callerDevice = hint.device;
        Tensor x = F.pixel_unshuffle(hint.to(ScalarType.Float32, Device), UnshuffleAmount);
        var features = new List<Tensor?>();
        if (Light)
        {
            for (int i = 0; i < _levels; i++)
            {
                x = body[i].forward(x);
                features.AddRange([null, null, x]);
            }
        }
        else
        {
            x = conv_in!.forward(x);
            for (int i = 0; i < _levels; i++)
            {
                for (int j = 0; j < _blocksPerLevel; j++)
                {
                    x = body[(i * _blocksPerLevel) + j].forward(x);
                }
                // The reference's feature list: None entries for the blocks a level's features skip.
                int gaps = !Xl ? 2 : i == 0 ? 3 : i == 2 ? 2 : 1;
                features.AddRange(Enumerable.Repeat<Tensor?>(null, gaps));
                features.Add(x);
            }
        }
        Tensor? middle = null;
        if (Xl)
        {
            middle = features[^1];
            features.RemoveAt(features.Count - 1);
        }
        var result = features.Select(f => f?.to(ScalarType.Float32, callerDevice).MoveToOuterDisposeScope()).ToList();
        return (result, middle?.to(ScalarType.Float32, callerDevice).MoveToOuterDisposeScope());
    }

    /// <summary>The reference's adapter <c>Downsample</c> without a convolution: 2×2 average pooling, padded by one on odd sides.</summary>
    internal static Tensor AveragePool(Tensor x) =>
        F.avg_pool2d(x, [2L, 2L], [2L, 2L], [x.shape[2] % 2, x.shape[3] % 2]);
}

/// <summary>The full adapter's <c>ResnetBlock</c> (sk = true): optional down step, <c>in_conv</c> when the channels change, block1 → ReLU → block2, plus the input.</summary>
internal sealed class AdapterResnetBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Conv2dLayer? in_conv;
    private Conv2dLayer block1;
    private Conv2dLayer block2;
    private Sequential? down_opt;
#pragma warning restore IDE0044
    private readonly bool _down;

    public AdapterResnetBlock(int inChannels, int outChannels, bool down, int kernelSize, bool convDown) : base(nameof(AdapterResnetBlock))
    {
        _down = down;
        if (inChannels != outChannels)
        {
            in_conv = new Conv2dLayer(inChannels, outChannels, kernelSize, padding: kernelSize / 2);
        }
        block1 = new Conv2dLayer(outChannels, outChannels, 3, padding: 1);
        block2 = new Conv2dLayer(outChannels, outChannels, kernelSize, padding: kernelSize / 2);
        if (down && convDown)
        {
            down_opt = nn.Sequential(("op", new Conv2dLayer(inChannels, inChannels, 3, stride: 2, padding: 1)));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = input;
        if (_down)
        {
            x = down_opt is not null ? down_opt.forward(x) : T2IAdapterModel.AveragePool(x);
        }
        if (in_conv is not null)
        {
            x = in_conv.forward(x);
        }
        Tensor h = block2.forward(F.relu(block1.forward(x)));
        return h.Add(x).MoveToOuterDisposeScope();
    }
}

/// <summary>The light adapter's <c>extractor</c>: optional average-pool down step, 1×1 <c>in_conv</c>, light residual blocks, 1×1 <c>out_conv</c>.</summary>
internal sealed class AdapterExtractor : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Conv2dLayer in_conv;
    private ModuleList<Sequential> body;
    private Conv2dLayer out_conv;
#pragma warning restore IDE0044
    private readonly bool _down;

    public AdapterExtractor(int inChannels, int innerChannels, int outChannels, int blocks, bool down) : base(nameof(AdapterExtractor))
    {
        _down = down;
        in_conv = new Conv2dLayer(inChannels, innerChannels, 1);
        body = new ModuleList<Sequential>([.. Enumerable.Range(0, blocks).Select(_ => nn.Sequential(
            ("block1", new Conv2dLayer(innerChannels, innerChannels, 3, padding: 1)),
            ("block2", new Conv2dLayer(innerChannels, innerChannels, 3, padding: 1))))]);
        out_conv = new Conv2dLayer(innerChannels, outChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = _down ? T2IAdapterModel.AveragePool(input) : input;
        x = in_conv.forward(x);
        foreach (Sequential block in body)
        {
            // ResnetBlock_light: block1 → ReLU → block2, plus the input (the Sequential holds the two convolutions only).
            var convs = block.children().Cast<Conv2dLayer>().ToArray();
            x = convs[1].forward(F.relu(convs[0].forward(x))).Add(x);
        }
        return out_conv.forward(x).MoveToOuterDisposeScope();
    }
}
