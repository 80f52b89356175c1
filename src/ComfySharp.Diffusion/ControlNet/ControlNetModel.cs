using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// The ControlNet network (the reference's <c>cldm.ControlNet</c>): a copy of a UNet's encoder half
/// (<c>time_embed</c>, <c>label_emb</c>, <c>input_blocks</c>, <c>middle_block</c>) built from the same
/// <see cref="UNetConfig"/>, plus the hint encoder (<c>input_hint_block</c>, eight 3×3 convolutions, three
/// of them strided) added after the first input block, and one 1×1 <c>zero_convs</c> per input block and
/// <c>middle_block_out</c> producing the residuals. Parameter names are the original layout's keys without
/// <c>control_model.</c>.
/// </summary>
public sealed class ControlNetModel : nn.Module, IControlModel
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private Sequential time_embed;
    private Sequential? label_emb;
    private Sequential input_hint_block;
    private ModuleList<ModuleList<UNetLayer>> input_blocks;
    private ModuleList<Sequential> zero_convs;
    private ModuleList<UNetLayer> middle_block;
    private Sequential middle_block_out;
    private Parameter? task_embedding;
    private Sequential? transformer_layes;
    private LinearLayer? spatial_ch_projs;
    private ControlAddEmbedding? control_add_embedding;
#pragma warning restore IDE0044

    /// <summary>Channels of the hint encoder's stages (after the input): the reference's fixed 16, 16, 32, 32, 96, 96, 256.</summary>
    private static readonly (int Out, int Stride)[] HintStages = [(16, 1), (16, 1), (32, 2), (32, 1), (96, 2), (96, 1), (256, 2)];

    /// <summary>
    /// Builds an uninitialised ControlNet for <paramref name="config"/> taking hints of <paramref name="hintChannels"/> channels;
    /// <paramref name="union"/> adds the union ControlNet's task embedding, condition transformer and type embedding.
    /// </summary>
    public ControlNetModel(UNetConfig config, int hintChannels, UnionConfig? union = null) : base(nameof(ControlNetModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        HintChannels = hintChannels;
        Union = union;
        int mc = config.ModelChannels;
        int embDim = config.TimeEmbedDim;
        time_embed = nn.Sequential(("0", new LinearLayer(mc, embDim)), ("1", new SiLULayer()), ("2", new LinearLayer(embDim, embDim)));
        if (config.AdmInChannels is int adm)
        {
            label_emb = nn.Sequential(("0", nn.Sequential(
                ("0", new LinearLayer(adm, embDim)), ("1", new SiLULayer()), ("2", new LinearLayer(embDim, embDim)))));
        }

        var hint = new List<(string, nn.Module<Tensor, Tensor>)>();
        int hintIn = hintChannels;
        int index = 0;
        foreach (var (outCh, stride) in HintStages)
        {
            hint.Add((Name(index++), new Conv2dLayer(hintIn, outCh, 3, stride, padding: 1)));
            hint.Add((Name(index++), new SiLULayer()));
            hintIn = outCh;
        }
        hint.Add((Name(index), new Conv2dLayer(hintIn, mc, 3, padding: 1)));
        input_hint_block = nn.Sequential([.. hint]);

        var inputs = new List<ModuleList<UNetLayer>> { new([new ConvInLayer(config.InChannels, mc)]) };
        var zeros = new List<Sequential> { ZeroConv(mc) };
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
                inputs.Add(new ModuleList<UNetLayer>([.. layers]));
                zeros.Add(ZeroConv(ch));
            }
            if (level != levels - 1)
            {
                inputs.Add(new ModuleList<UNetLayer>([new Downsample(ch)]));
                zeros.Add(ZeroConv(ch));
            }
        }
        input_blocks = new ModuleList<ModuleList<UNetLayer>>([.. inputs]);
        zero_convs = new ModuleList<Sequential>([.. zeros]);
        middle_block = config.TransformerDepthMiddle > 0
            ? new ModuleList<UNetLayer>([new ResBlock(ch, embDim, ch), Transformer(config, ch, config.TransformerDepthMiddle), new ResBlock(ch, embDim, ch)])
            : new ModuleList<UNetLayer>([new ResBlock(ch, embDim, ch), new ResBlock(ch, embDim, ch)]);
        middle_block_out = ZeroConv(ch);
        if (union is not null)
        {
            task_embedding = new Parameter(empty(union.Types, union.Width), requires_grad: false);
            transformer_layes = nn.Sequential(("0", new UnionTransformerBlock(union.Width)));
            spatial_ch_projs = new LinearLayer(union.Width, union.Width);
            control_add_embedding = new ControlAddEmbedding(union, embDim);
        }
        RegisterComponents();
    }

    /// <summary>The encoder's architecture (that of the UNet it controls).</summary>
    public UNetConfig Config { get; }

    /// <summary>Channels of the hint image.</summary>
    public int HintChannels { get; }

    /// <summary>The union ControlNet's extra shape, or null for a plain ControlNet.</summary>
    public UnionConfig? Union { get; }

    /// <summary>Device the weights live on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Dtype used for computation.</summary>
    public ScalarType ComputeType { get; private set; } = ScalarType.Float32;

    /// <summary>Bytes held by the weights.</summary>
    public long WeightBytes => parameters().Sum(p => p.NumberOfElements * p.ElementSize);

    /// <summary>Moves the weights to <paramref name="device"/> as <paramref name="computeType"/>.</summary>
    public ControlNetModel MoveTo(Device device, ScalarType computeType)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.to(computeType);
        this.to(device);
        Device = device;
        ComputeType = computeType;
        return this;
    }

    /// <summary>
    /// Runs the network on the scaled latent <paramref name="x"/>, the hint (pixel space, 8× the latent size),
    /// discrete <paramref name="timesteps"/>, <paramref name="context"/> and the ADM vector <paramref name="y"/> (SDXL);
    /// <paramref name="controlType"/> is a union ControlNet's type list (empty = auto; plain ControlNets ignore it, as the
    /// reference's <c>cldm.ControlNet.forward</c> does). Returns one residual per input block (the <c>output</c> list) and
    /// the middle residual, in float32 on the caller's device.
    /// </summary>
    public (List<Tensor> Output, Tensor Middle) Forward(Tensor x, Tensor hint, Tensor timesteps, Tensor context, Tensor? y = null, IReadOnlyList<int>? controlType = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(hint);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(context);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Device callerDevice = x.device;
        Tensor h = x.to(ComputeType, Device);
        Tensor ctx = context.to(ComputeType, Device);
        Tensor emb = time_embed.forward(UNetModel.TimestepEmbedding(timesteps.to(ScalarType.Float32, Device), Config.ModelChannels).to_type(ComputeType));
        Tensor? guided = null;
        if (control_add_embedding is not null)
        {
            // Union ControlNets: the control-type embedding joins the timestep embedding (zeros for "auto"), and a chosen
            // type fuses the hint features with the task embedding through the condition transformer.
            controlType ??= [];
            emb = emb.Add(control_add_embedding.forward(control_add_embedding.OneHot(controlType, Device).to_type(ComputeType)));
            if (controlType.Count > 0)
            {
                guided = UnionHint(hint.to(ComputeType, Device), controlType);
            }
        }
        guided ??= input_hint_block.forward(hint.to(ComputeType, Device));
        if (label_emb is not null)
        {
            if (y is null)
            {
                throw new ArgumentException("This ControlNet needs the class/pooled vector y.", nameof(y));
            }
            emb = emb.Add(label_emb.forward(y.to(ComputeType, Device)));
        }
        var outputs = new List<Tensor>();
        for (int i = 0; i < input_blocks.Count; i++)
        {
            foreach (var layer in input_blocks[i])
            {
                h = layer.Forward(h, emb, ctx, null);
            }
            if (guided is not null)
            {
                h = h.Add(guided);
                guided = null;
            }
            outputs.Add(zero_convs[i].forward(h).to(ScalarType.Float32, callerDevice));
        }
        foreach (var layer in middle_block)
        {
            h = layer.Forward(h, emb, ctx, null);
        }
        Tensor middle = middle_block_out.forward(h).to(ScalarType.Float32, callerDevice);
        foreach (Tensor o in outputs)
        {
            o.MoveToOuterDisposeScope();
        }
        return (outputs, middle.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The reference's <c>union_controlnet_merge</c> for one hint: the hint features averaged over space plus the type's task
    /// embedding form one token per type; after the condition transformer, each token, projected by <c>spatial_ch_projs</c>,
    /// is added to the hint features as a per-channel bias, and the results are summed.
    /// </summary>
    private Tensor UnionHint(Tensor hint, IReadOnlyList<int> controlType)
    {
        Tensor condition = input_hint_block.forward(hint);
        Tensor token = condition.mean([2L, 3L]).Add(task_embedding![controlType[0]]);
        Tensor fused = transformer_layes!.forward(token.unsqueeze(1));
        Tensor? result = null;
        for (int i = 0; i < controlType.Count; i++)
        {
            if (i >= fused.shape[1])
            {
                throw new ArgumentException("A union ControlNet takes one hint here; several control types need several hints.", nameof(controlType));
            }
            Tensor alpha = spatial_ch_projs!.forward(fused[.., i]).unsqueeze(-1).unsqueeze(-1);
            Tensor o = condition.Add(alpha);
            result = result is null ? o : result.Add(o);
        }
        return result!;
    }

    private static string Name(int index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Sequential ZeroConv(int channels) => nn.Sequential(("0", new Conv2dLayer(channels, channels, 1)));

    private static SpatialTransformer Transformer(UNetConfig config, int channels, int depth)
    {
        var (heads, headDim) = config.HeadsFor(channels);
        return new SpatialTransformer(channels, heads, headDim, depth, config.ContextDim, config.UseLinearInTransformer);
    }
}
