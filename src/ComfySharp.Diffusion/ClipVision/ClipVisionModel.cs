using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.ClipVision;

/// <summary>The shape of a CLIP vision tower.</summary>
/// <param name="Name">The family (ViT-L/14, ViT-H/14, ViT-bigG/14).</param>
/// <param name="Width">Hidden width.</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Intermediate">MLP width.</param>
/// <param name="ProjectionDim">Width of the projected image embedding.</param>
/// <param name="QuickGelu">OpenAI's x·σ(1.702x) activation (ViT-L) rather than GELU.</param>
/// <param name="ImageSize">Input size in pixels.</param>
/// <param name="PatchSize">Patch size in pixels.</param>
public sealed record ClipVisionConfig(string Name, int Width, int Layers, int Heads, int Intermediate, int ProjectionDim, bool QuickGelu, int ImageSize = 224, int PatchSize = 14)
{
    /// <summary>OpenAI CLIP ViT-L/14 (SD1.x IP-adapters, unCLIP-L, style models).</summary>
    public static ClipVisionConfig VitL { get; } = new("ViT-L/14", 1024, 24, 16, 4096, 768, QuickGelu: true);

    /// <summary>OpenCLIP ViT-H/14 (SD2.1 unCLIP-H, IP-adapters).</summary>
    public static ClipVisionConfig VitH { get; } = new("ViT-H/14", 1280, 32, 16, 5120, 1024, QuickGelu: false);

    /// <summary>OpenCLIP ViT-bigG/14 (SDXL revision, IP-adapters).</summary>
    public static ClipVisionConfig VitBigG { get; } = new("ViT-bigG/14", 1664, 48, 16, 8192, 1280, QuickGelu: false);

    /// <summary>Patches plus the class token.</summary>
    public int Positions => ((ImageSize / PatchSize) * (ImageSize / PatchSize)) + 1;
}

/// <summary>What a CLIP vision encoding gives (the reference's CLIP_VISION_OUTPUT).</summary>
/// <param name="LastHiddenState">The last layer's tokens [B, positions, width] (before the post-norm).</param>
/// <param name="PenultimateHiddenStates">The second-to-last layer's tokens.</param>
/// <param name="ImageEmbeds">The projected, post-normed class token [B, projection].</param>
public sealed record ClipVisionOutput(Tensor LastHiddenState, Tensor PenultimateHiddenStates, Tensor ImageEmbeds);

/// <summary>
/// The CLIP vision transformer in the Hugging Face <c>CLIPVisionModelWithProjection</c> key layout
/// (<c>vision_model.embeddings.*</c>, <c>vision_model.pre_layrnorm</c>, <c>vision_model.encoder.layers.N.*</c>,
/// <c>vision_model.post_layernorm</c>, <c>visual_projection</c>), as the reference's <c>clip_model.CLIPVisionModelProjection</c>.
/// </summary>
public sealed class ClipVisionModel : nn.Module
{
    private readonly Parameter _classEmbedding;
    private readonly Parameter _patchEmbedding;
    private readonly Parameter _positionEmbedding;
    private readonly LayerNormLayer _preNorm;
    private readonly LayerNormLayer _postNorm;
    private readonly VisionLayer[] _layers;
    private readonly LinearLayer _projection;

    /// <summary>Builds an uninitialised tower of shape <paramref name="config"/>.</summary>
    public ClipVisionModel(ClipVisionConfig config) : base(nameof(ClipVisionModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _classEmbedding = new Parameter(empty(config.Width), requires_grad: false);
        _patchEmbedding = new Parameter(empty(config.Width, 3, config.PatchSize, config.PatchSize), requires_grad: false);
        _positionEmbedding = new Parameter(empty(config.Positions, config.Width), requires_grad: false);
        _preNorm = new LayerNormLayer(config.Width);
        _postNorm = new LayerNormLayer(config.Width);
        _layers = [.. Enumerable.Range(0, config.Layers).Select(_ => new VisionLayer(config))];
        _projection = new LinearLayer(config.Width, config.ProjectionDim, hasBias: false);

        var embeddings = new Container("embeddings");
        embeddings.register_parameter("class_embedding", _classEmbedding);
        embeddings.register_module("patch_embedding", new Container("patch_embedding").WithParameter("weight", _patchEmbedding));
        embeddings.register_module("position_embedding", new Container("position_embedding").WithParameter("weight", _positionEmbedding));
        var layers = new Container("layers");
        for (int i = 0; i < _layers.Length; i++)
        {
            layers.register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _layers[i]);
        }
        var encoder = new Container("encoder");
        encoder.register_module("layers", layers);
        var vision = new Container("vision_model");
        vision.register_module("embeddings", embeddings);
        vision.register_module("pre_layrnorm", _preNorm);
        vision.register_module("encoder", encoder);
        vision.register_module("post_layernorm", _postNorm);
        register_module("vision_model", vision);
        register_module("visual_projection", _projection);
    }

    /// <summary>The shape.</summary>
    public ClipVisionConfig Config { get; }

    /// <summary>Device the weights live on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Bytes held by the weights.</summary>
    public long WeightBytes => parameters().Sum(p => p.NumberOfElements * p.ElementSize);

    /// <summary>Moves the weights to <paramref name="device"/>.</summary>
    public ClipVisionModel MoveTo(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.to(device);
        Device = device;
        return this;
    }

    /// <summary>Encodes preprocessed pixels [B, 3, size, size] (see <see cref="ClipVisionPreprocess"/>).</summary>
    public ClipVisionOutput Encode(Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Device caller = pixels.device;
        Tensor x = F.conv2d(pixels.to(ScalarType.Float32, Device), _patchEmbedding, null, [Config.PatchSize, Config.PatchSize]);
        x = x.flatten(2).transpose(1, 2);
        Tensor cls = _classEmbedding.view(1, 1, -1).expand(x.shape[0], 1, Config.Width);
        x = cat([cls, x], 1).Add(_positionEmbedding.unsqueeze(0));
        x = _preNorm.forward(x);
        Tensor? penultimate = null;
        for (int i = 0; i < _layers.Length; i++)
        {
            x = _layers[i].forward(x);
            if (i == _layers.Length - 2)
            {
                penultimate = x;
            }
        }
        Tensor embeds = _projection.forward(_postNorm.forward(x[.., 0, ..]));
        return new ClipVisionOutput(
            x.to(caller).MoveToOuterDisposeScope(),
            (penultimate ?? x).to(caller).MoveToOuterDisposeScope(),
            embeds.to(caller).MoveToOuterDisposeScope());
    }

    /// <summary>A module that only names its children and parameters.</summary>
    private sealed class Container(string name) : nn.Module(name)
    {
        public Container WithParameter(string parameterName, Parameter parameter)
        {
            register_parameter(parameterName, parameter);
            return this;
        }
    }

    /// <summary>Pre-norm transformer layer: x += attn(ln1(x)); x += mlp(ln2(x)).</summary>
    private sealed class VisionLayer : nn.Module<Tensor, Tensor>
    {
        private readonly LinearLayer _q, _k, _v, _out, _fc1, _fc2;
        private readonly LayerNormLayer _norm1, _norm2;
        private readonly int _heads;
        private readonly bool _quickGelu;

        public VisionLayer(ClipVisionConfig config) : base(nameof(VisionLayer))
        {
            _heads = config.Heads;
            _quickGelu = config.QuickGelu;
            _q = new LinearLayer(config.Width, config.Width);
            _k = new LinearLayer(config.Width, config.Width);
            _v = new LinearLayer(config.Width, config.Width);
            _out = new LinearLayer(config.Width, config.Width);
            _fc1 = new LinearLayer(config.Width, config.Intermediate);
            _fc2 = new LinearLayer(config.Intermediate, config.Width);
            _norm1 = new LayerNormLayer(config.Width);
            _norm2 = new LayerNormLayer(config.Width);
            var attention = new Container("self_attn");
            attention.register_module("q_proj", _q);
            attention.register_module("k_proj", _k);
            attention.register_module("v_proj", _v);
            attention.register_module("out_proj", _out);
            var mlp = new Container("mlp");
            mlp.register_module("fc1", _fc1);
            mlp.register_module("fc2", _fc2);
            register_module("self_attn", attention);
            register_module("layer_norm1", _norm1);
            register_module("mlp", mlp);
            register_module("layer_norm2", _norm2);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            long b = input.shape[0], n = input.shape[1], width = input.shape[2];
            long headDim = width / _heads;
            Tensor h = _norm1.forward(input);
            Tensor q = _q.forward(h).view(b, n, _heads, headDim).transpose(1, 2);
            Tensor k = _k.forward(h).view(b, n, _heads, headDim).transpose(1, 2);
            Tensor v = _v.forward(h).view(b, n, _heads, headDim).transpose(1, 2);
            Tensor x = input.Add(_out.forward(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, width)));
            Tensor m = _fc1.forward(_norm2.forward(x));
            m = _quickGelu ? m * sigmoid(m.Mul(1.702)) : F.gelu(m);
            return x.Add(_fc2.forward(m)).MoveToOuterDisposeScope();
        }
    }
}
