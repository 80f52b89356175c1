using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.UNet;

/// <summary>
/// The LDM UNet (SD1.x, SD2.x, SDXL shapes) as a TorchSharp module whose parameter names are the
/// checkpoint keys without <c>model.diffusion_model.</c>. Built on the CPU with uninitialised
/// float32 weights; load with <see cref="StrictLoading"/>, then call <see cref="MoveTo"/>.
/// </summary>
public sealed class UNetModel : nn.Module, IDiffusionNetwork, ControlNet.IControlledNetwork
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Sequential time_embed;
    private Sequential? label_emb;
    private ModuleList<ModuleList<UNetLayer>> input_blocks;
    private ModuleList<UNetLayer> middle_block;
    private ModuleList<ModuleList<UNetLayer>> output_blocks;
    private Sequential @out;
#pragma warning restore IDE0044

    /// <summary>Builds the network for <paramref name="config"/>.</summary>
    public UNetModel(UNetConfig config, ModelPrediction prediction, LatentFormat latentFormat) : base(nameof(UNetModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Prediction = prediction;
        LatentFormat = latentFormat;
        int mc = config.ModelChannels;
        int embDim = config.TimeEmbedDim;
        time_embed = nn.Sequential(("0", new LinearLayer(mc, embDim)), ("1", new SiLULayer()), ("2", new LinearLayer(embDim, embDim)));
        if (config.AdmInChannels is int adm)
        {
            label_emb = nn.Sequential(("0", nn.Sequential(
                ("0", new LinearLayer(adm, embDim)), ("1", new SiLULayer()), ("2", new LinearLayer(embDim, embDim)))));
        }

        var inputs = new List<ModuleList<UNetLayer>> { Block(new ConvInLayer(config.InChannels, mc)) };
        var skipChannels = new Stack<int>();
        skipChannels.Push(mc);
        int ch = mc;
        int levels = config.ChannelMult.Count;
        for (int level = 0; level < levels; level++)
        {
            int outCh = mc * config.ChannelMult[level];
            for (int r = 0; r < config.NumResBlocks; r++)
            {
                var layers = new List<UNetLayer> { new ResBlock(ch, embDim, outCh) };
                ch = outCh;
                if (config.TransformerDepth[level] > 0)
                {
                    layers.Add(Transformer(config, ch, config.TransformerDepth[level]));
                }
                inputs.Add(Block([.. layers]));
                skipChannels.Push(ch);
            }
            if (level != levels - 1)
            {
                inputs.Add(Block(new Downsample(ch)));
                skipChannels.Push(ch);
            }
        }
        input_blocks = new ModuleList<ModuleList<UNetLayer>>([.. inputs]);

        middle_block = config.TransformerDepthMiddle > 0
            ? Block(new ResBlock(ch, embDim, ch), Transformer(config, ch, config.TransformerDepthMiddle), new ResBlock(ch, embDim, ch))
            : Block(new ResBlock(ch, embDim, ch), new ResBlock(ch, embDim, ch));

        var outputs = new List<ModuleList<UNetLayer>>();
        for (int level = levels - 1; level >= 0; level--)
        {
            int outCh = mc * config.ChannelMult[level];
            for (int i = 0; i <= config.NumResBlocks; i++)
            {
                var layers = new List<UNetLayer> { new ResBlock(ch + skipChannels.Pop(), embDim, outCh) };
                ch = outCh;
                if (config.TransformerDepth[level] > 0)
                {
                    layers.Add(Transformer(config, ch, config.TransformerDepth[level]));
                }
                if (level > 0 && i == config.NumResBlocks)
                {
                    layers.Add(new Upsample(ch));
                }
                outputs.Add(Block([.. layers]));
            }
        }
        output_blocks = new ModuleList<ModuleList<UNetLayer>>([.. outputs]);
        @out = nn.Sequential(
            ("0", new GroupNormLayer(32, ch, 1e-5)),
            ("1", new SiLULayer()),
            ("2", new Conv2dLayer(mc, config.OutChannels, 3, padding: 1)));
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public UNetConfig Config { get; }

    /// <inheritdoc />
    public ModelPrediction Prediction { get; }

    /// <inheritdoc />
    public LatentFormat LatentFormat { get; }

    /// <inheritdoc />
    public nn.Module Module => this;

    /// <inheritdoc />
    public Device Device { get; private set; } = CPU;

    /// <inheritdoc />
    public ScalarType ComputeType { get; private set; } = ScalarType.Float32;

    /// <inheritdoc />
    public int? AdmChannels => Config.AdmInChannels;

    /// <summary>Moves the weights to <paramref name="device"/> and converts them to <paramref name="computeType"/>.</summary>
    public UNetModel MoveTo(Device device, ScalarType computeType)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.to(computeType);
        this.to(device);
        Device = device;
        ComputeType = computeType;
        return this;
    }

    /// <summary>Bytes held by the weights.</summary>
    public long WeightBytes => parameters().Sum(p => p.NumberOfElements * p.ElementSize);

    /// <inheritdoc />
    public Tensor Forward(Tensor x, Tensor timesteps, Tensor context, Tensor? y = null) => Forward(x, timesteps, context, y, null);

    /// <inheritdoc />
    public Tensor Forward(Tensor x, Tensor timesteps, Tensor context, Tensor? y, ControlNet.ControlResiduals? control)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(context);
        if (x.dim() != 4 || x.shape[1] != Config.InChannels)
        {
            throw new NotSupportedException(Config.InChannels == 4
                ? $"The UNet takes 4-channel latents; got shape [{string.Join(", ", x.shape)}]."
                : $"This UNet takes {Config.InChannels} input channels (the latent plus its concat conditioning); got an input of shape [{string.Join(", ", x.shape)}].");
        }
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        Device callerDevice = x.device;
        Tensor h = x.to(ComputeType, Device);
        Tensor ctx = context.to(ComputeType, Device);
        Tensor t = timesteps.to(ScalarType.Float32, Device);
        Tensor emb = time_embed.forward(TimestepEmbedding(t, Config.ModelChannels).to_type(ComputeType));
        if (label_emb is not null)
        {
            if (y is null)
            {
                throw new ArgumentException("This model needs the class/pooled vector y.", nameof(y));
            }
            emb = emb.Add(label_emb.forward(y.to(ComputeType, Device)));
        }

        var skips = new Stack<Tensor>();
        UNetHookContext? hooks = UNetHookContext.Current;
        foreach (var block in input_blocks)
        {
            UNetHooks.Enter(hooks, "input", skips.Count);
            Tensor blockOut = RunBlock(block, h, emb, ctx, null);
            blockOut = control?.ApplyToInput(blockOut, skips.Count) ?? blockOut; // T2I-Adapter hook: input residuals
            h = UNetHooks.AfterInputBlock(hooks, blockOut);
            skips.Push(h);
            h = UNetHooks.AfterSkip(hooks, h);
        }
        UNetHooks.Enter(hooks, "middle", 0);
        h = RunBlock(middle_block, h, emb, ctx, null);
        h = control?.ApplyToMiddle(h) ?? h; // ControlNet hook: middle residual
        foreach (var block in output_blocks)
        {
            int skipIndex = skips.Count - 1;
            Tensor skip = skips.Pop();
            UNetHooks.Enter(hooks, "output", output_blocks.Count - 1 - skipIndex);
            (h, skip) = UNetHooks.BeforeOutputBlock(hooks, h, control?.ApplyToSkip(skip, skipIndex) ?? skip); // ControlNet hook: skip residuals
            h = cat([h, skip], 1);
            long[]? nextSize = skips.Count > 0 ? [skips.Peek().shape[2], skips.Peek().shape[3]] : null;
            h = RunBlock(block, h, emb, ctx, nextSize);
        }
        Tensor eps = @out.forward(h);
        // Samplers work in float32 whatever the compute type (the reference calls .float() on the output).
        return eps.to(ScalarType.Float32, callerDevice).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs <paramref name="body"/> with <paramref name="patch"/>(transformer index, tokens) applied after the self-attention
    /// of every transformer block, numbered in execution order (input, middle, output blocks) as the reference's
    /// <c>transformer_index</c>. Callers hold the network's lock, as sampling does.
    /// </summary>
    public T WithMiddlePatch<T>(Func<int, Tensor, Tensor> patch, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(body);
        var blocks = modules().OfType<BasicTransformerBlock>().ToList();
        for (int i = 0; i < blocks.Count; i++)
        {
            int index = i;
            blocks[i].MiddlePatch = x => patch(index, x);
        }
        try
        {
            return body();
        }
        finally
        {
            foreach (BasicTransformerBlock block in blocks)
            {
                block.MiddlePatch = null;
            }
        }
    }

    /// <summary>
    /// Sinusoidal embedding of (possibly fractional) timesteps, [cos | sin] halves, computed in float32
    /// with the same operation order as the reference so the embedding matches it bit for bit.
    /// </summary>
    public static Tensor TimestepEmbedding(Tensor timesteps, int dim, double maxPeriod = 10000)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        using var scope = NewDisposeScope();
        int half = dim / 2;
        Tensor freqs = exp(ScalarMath.Arange(0, half, ScalarType.Float32, timesteps.device).Mul(-Math.Log(maxPeriod)).Div(half));
        Tensor args = timesteps.to_type(ScalarType.Float32)[.., TensorIndex.None] * freqs[TensorIndex.None];
        Tensor embedding = cat([cos(args), sin(args)], -1);
        if (dim % 2 == 1)
        {
            embedding = cat([embedding, zeros_like(embedding[.., ..1])], -1);
        }
        return embedding.MoveToOuterDisposeScope();
    }

    private static Tensor RunBlock(ModuleList<UNetLayer> block, Tensor h, Tensor emb, Tensor context, long[]? nextSize)
    {
        foreach (var layer in block)
        {
            h = layer.Forward(h, emb, context, nextSize);
        }
        return h;
    }

    private static ModuleList<UNetLayer> Block(params UNetLayer[] layers) => new(layers);

    private static SpatialTransformer Transformer(UNetConfig config, int channels, int depth)
    {
        var (heads, headDim) = config.HeadsFor(channels);
        return new SpatialTransformer(channels, heads, headDim, depth, config.ContextDim, config.UseLinearInTransformer);
    }
}
