using ComfySharp.Torch.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Clip;

/// <summary>Shape of a CLIP text transformer (defaults: ViT-L/14 as in SD1.x).</summary>
/// <param name="VocabularySize">Token embedding rows.</param>
/// <param name="MaxPositions">Position embedding rows (77).</param>
/// <param name="Width">Hidden size.</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Intermediate">MLP hidden size.</param>
/// <param name="QuickGelu">True for quick_gelu (CLIP-L), false for exact gelu.</param>
/// <param name="ProjectionDim">Width of the bias-free <c>text_projection</c> applied to the pooled output, or null when there is none.</param>
public sealed record ClipTextConfig(int VocabularySize = 49408, int MaxPositions = 77, int Width = 768, int Layers = 12,
    int Heads = 12, int Intermediate = 3072, bool QuickGelu = true, int? ProjectionDim = null)
{
    /// <summary>CLIP ViT-L/14's text tower.</summary>
    public static ClipTextConfig VitL14 { get; } = new();

    /// <summary>OpenCLIP ViT-bigG/14's text tower (SDXL): 32 layers of 1280, 20 heads, exact gelu, projection 1280.</summary>
    public static ClipTextConfig VitBigG14 { get; } = new(Width: 1280, Layers: 32, Heads: 20, Intermediate: 5120, QuickGelu: false, ProjectionDim: 1280);

    /// <summary>OpenCLIP ViT-H/14's text tower (SD 2.x): 24 layers of 1024, 16 heads, exact gelu, projection 1024.</summary>
    public static ClipTextConfig VitH14 { get; } = new(Width: 1024, Layers: 24, Heads: 16, Intermediate: 4096, QuickGelu: false, ProjectionDim: 1024);
}

/// <summary>
/// Resolves the weight a layer runs with: the stored one, or a patched replacement for the current call.
/// Keys are parameter names of <see cref="ClipTextEncoder"/>.
/// </summary>
internal sealed class WeightScope
{
    public IReadOnlyDictionary<string, Tensor>? Overrides { get; set; }

    /// <summary>The weight as float32 (the reference keeps fp16 weights and casts them when a layer runs).</summary>
    public Tensor Float(string key, Tensor stored) =>
        (Overrides is not null && Overrides.TryGetValue(key, out Tensor? patched) ? patched : stored).to_type(ScalarType.Float32);
}

/// <summary>Helpers for module state.</summary>
internal static class Weights
{
    /// <summary>
    /// A frozen parameter owned by its module, never by a dispose scope that happens to be open while the
    /// model is built (the scope would free the weights under the model).
    /// </summary>
    public static Parameter NewParameter(Tensor data)
    {
        var parameter = new Parameter(data.DetachFromDisposeScope(), requires_grad: false);
        parameter.DetachFromDisposeScope();
        return parameter;
    }
}

/// <summary>A module that only groups named children, so parameter names follow the checkpoint's nesting.</summary>
internal sealed class NamedContainer : nn.Module
{
    public NamedContainer(string name, params (string Name, nn.Module Module)[] children) : base(name)
    {
        foreach ((string childName, nn.Module module) in children)
        {
            register_module(childName, module);
        }
    }
}

/// <summary>Linear layer with low-precision storage and float32 compute.</summary>
internal sealed class CastLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter _weight;
    private readonly Parameter? _bias;
    private readonly WeightScope _scope;
    private readonly string _key;

    public CastLinear(string key, long input, long output, ScalarType storage, WeightScope scope, bool hasBias = true) : base(key)
    {
        _key = key;
        _scope = scope;
        _weight = Weights.NewParameter(empty(output, input, dtype: storage));
        register_parameter("weight", _weight);
        if (hasBias)
        {
            _bias = Weights.NewParameter(empty(output, dtype: storage));
            register_parameter("bias", _bias);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using Tensor w = _scope.Float(_key + ".weight", _weight);
        if (_bias is null)
        {
            return F.linear(input, w);
        }
        using Tensor b = _scope.Float(_key + ".bias", _bias);
        return F.linear(input, w, b);
    }
}

/// <summary>Layer norm with low-precision storage and float32 compute.</summary>
internal sealed class CastLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter _weight;
    private readonly Parameter _bias;
    private readonly WeightScope _scope;
    private readonly string _key;
    private readonly long _width;

    public CastLayerNorm(string key, long width, ScalarType storage, WeightScope scope) : base(key)
    {
        _key = key;
        _scope = scope;
        _width = width;
        _weight = Weights.NewParameter(empty(width, dtype: storage));
        _bias = Weights.NewParameter(empty(width, dtype: storage));
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
    }

    public override Tensor forward(Tensor input)
    {
        using Tensor w = _scope.Float(_key + ".weight", _weight);
        using Tensor b = _scope.Float(_key + ".bias", _bias);
        return F.layer_norm(input, [_width], w, b, 1e-5);
    }
}

/// <summary>A table of vectors (token or position embedding) stored in low precision.</summary>
internal sealed class CastEmbedding : nn.Module
{
    private readonly Parameter _weight;

    public CastEmbedding(string key, long rows, long width, ScalarType storage) : base(key)
    {
        Key = key;
        _weight = Weights.NewParameter(empty(rows, width, dtype: storage));
        register_parameter("weight", _weight);
    }

    public string Key { get; }

    public Tensor Weight => _weight;
}

/// <summary>One pre-norm transformer layer: x += attn(ln1(x)); x += mlp(ln2(x)).</summary>
internal sealed class ClipLayer : nn.Module
{
    private readonly CastLinear _q, _k, _v, _out, _fc1, _fc2;
    private readonly CastLayerNorm _norm1, _norm2;
    private readonly int _heads;
    private readonly bool _quickGelu;

    public ClipLayer(string key, ClipTextConfig config, ScalarType storage, WeightScope scope) : base(key)
    {
        _heads = config.Heads;
        _quickGelu = config.QuickGelu;
        _q = new CastLinear(key + ".self_attn.q_proj", config.Width, config.Width, storage, scope);
        _k = new CastLinear(key + ".self_attn.k_proj", config.Width, config.Width, storage, scope);
        _v = new CastLinear(key + ".self_attn.v_proj", config.Width, config.Width, storage, scope);
        _out = new CastLinear(key + ".self_attn.out_proj", config.Width, config.Width, storage, scope);
        _norm1 = new CastLayerNorm(key + ".layer_norm1", config.Width, storage, scope);
        _norm2 = new CastLayerNorm(key + ".layer_norm2", config.Width, storage, scope);
        _fc1 = new CastLinear(key + ".mlp.fc1", config.Width, config.Intermediate, storage, scope);
        _fc2 = new CastLinear(key + ".mlp.fc2", config.Intermediate, config.Width, storage, scope);
        var attention = new NamedContainer("self_attn", ("q_proj", _q), ("k_proj", _k), ("v_proj", _v), ("out_proj", _out));
        var mlp = new NamedContainer("mlp", ("fc1", _fc1), ("fc2", _fc2));
        register_module("self_attn", attention);
        register_module("layer_norm1", _norm1);
        register_module("layer_norm2", _norm2);
        register_module("mlp", mlp);
    }

    public Tensor Forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1], width = x.shape[2];
        long headDim = width / _heads;
        Tensor h = _norm1.forward(x);
        Tensor q = _q.forward(h).view(batch, tokens, _heads, headDim).transpose(1, 2);
        Tensor k = _k.forward(h).view(batch, tokens, _heads, headDim).transpose(1, 2);
        Tensor v = _v.forward(h).view(batch, tokens, _heads, headDim).transpose(1, 2);
        Tensor attended = F.scaled_dot_product_attention(q, k, v, mask).transpose(1, 2).reshape(batch, tokens, width);
        x = x.Add(_out.forward(attended));
        Tensor m = _fc1.forward(_norm2.forward(x));
        m = _quickGelu ? m * sigmoid(m.Mul(1.702)) : F.gelu(m);
        x = x.Add(_fc2.forward(m));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The CLIP text transformer (Hugging Face <c>CLIPTextModel.text_model</c> layout). Parameter names equal the
/// checkpoint keys after the text-model prefix (<c>embeddings.token_embedding.weight</c>,
/// <c>encoder.layers.N.self_attn.q_proj.weight</c>, <c>final_layer_norm.bias</c>, ...). Weights are stored
/// in fp16 and cast to float32 per layer, as the reference does; all arithmetic is float32.
/// One encoder is shared by every <see cref="ClipModel"/> clone; calls are serialised.
/// </summary>
public sealed class ClipTextEncoder : nn.Module
{
    private readonly WeightScope _scope = new();
    private readonly CastEmbedding _tokenEmbedding;
    private readonly CastEmbedding _positionEmbedding;
    private readonly ClipLayer[] _layers;
    private readonly CastLayerNorm _finalNorm;
    private readonly CastLinear? _projection;
    private readonly Lock _gate = new();

    /// <summary>Creates an encoder with uninitialised weights of the given storage type (load them with <see cref="LoadWeights"/>).</summary>
    public ClipTextEncoder(ClipTextConfig config, ScalarType storage = ScalarType.Float16) : base("clip_text_model")
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        StorageType = storage;
        _tokenEmbedding = new CastEmbedding("embeddings.token_embedding", config.VocabularySize, config.Width, storage);
        _positionEmbedding = new CastEmbedding("embeddings.position_embedding", config.MaxPositions, config.Width, storage);
        var embeddings = new NamedContainer("embeddings", ("token_embedding", _tokenEmbedding), ("position_embedding", _positionEmbedding));
        // Checkpoints carry position_ids (0..76); it is kept as a buffer so strict loading accounts for it.
        embeddings.register_buffer("position_ids", ScalarMath.Arange(config.MaxPositions, ScalarType.Int64).unsqueeze(0).DetachFromDisposeScope());
        _layers = [.. Enumerable.Range(0, config.Layers).Select(i => new ClipLayer($"encoder.layers.{i}", config, storage, _scope))];
        var layers = new NamedContainer("layers", [.. _layers.Select((l, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), (nn.Module)l))]);
        var encoder = new NamedContainer("encoder", ("layers", layers));
        _finalNorm = new CastLayerNorm("final_layer_norm", config.Width, storage, _scope);
        register_module("embeddings", embeddings);
        register_module("encoder", encoder);
        register_module("final_layer_norm", _finalNorm);
        if (config.ProjectionDim is int projection)
        {
            _projection = new CastLinear("text_projection", config.Width, projection, storage, _scope, hasBias: false);
            register_module("text_projection", _projection);
        }
    }

    /// <summary>The architecture.</summary>
    public ClipTextConfig Config { get; }

    /// <summary>The storage dtype of the weights.</summary>
    public ScalarType StorageType { get; }

    /// <summary>Names of all parameters and persistent buffers (the keys a checkpoint must provide).</summary>
    public IReadOnlyList<string> StateKeys =>
        [.. named_parameters().Select(p => p.name), .. named_buffers().Select(b => b.name)];

    /// <summary>
    /// Copies weights in strictly: every parameter and buffer must be provided with the same shape, and no
    /// other key may be present. Values are converted to the storage type.
    /// </summary>
    /// <exception cref="InvalidOperationException">Keys are missing or unexpected, or a shape differs.</exception>
    public void LoadWeights(Func<string, Tensor?> source, IEnumerable<string> availableKeys)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(availableKeys);
        var targets = named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(named_buffers().Select(b => (b.name, b.buffer))).ToDictionary(t => t.Item1, t => t.Item2, StringComparer.Ordinal);
        var available = availableKeys.ToHashSet(StringComparer.Ordinal);
        string[] missing = [.. targets.Keys.Where(k => !available.Contains(k))];
        string[] unexpected = [.. available.Where(k => !targets.ContainsKey(k))];
        if (missing.Length > 0 || unexpected.Length > 0)
        {
            throw new InvalidOperationException(
                $"CLIP text encoder weights do not match: missing [{string.Join(", ", missing.Take(10))}{(missing.Length > 10 ? ", ..." : "")}], " +
                $"unexpected [{string.Join(", ", unexpected.Take(10))}{(unexpected.Length > 10 ? ", ..." : "")}].");
        }
        using var noGrad = no_grad();
        foreach ((string key, Tensor target) in targets)
        {
            using var scope = NewDisposeScope();
            Tensor value = source(key) ?? throw new InvalidOperationException($"CLIP weight '{key}' could not be read.");
            if (!value.shape.SequenceEqual(target.shape))
            {
                throw new InvalidOperationException(
                    $"CLIP weight '{key}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", target.shape)}].");
            }
            target.copy_(value);
        }
    }

    /// <summary>The stored (fp16) value of a parameter, by its name.</summary>
    public Tensor GetStoredWeight(string key) =>
        named_parameters().FirstOrDefault(p => p.name == key).parameter
            ?? throw new KeyNotFoundException($"The CLIP text encoder has no parameter '{key}'.");

    /// <summary>
    /// Runs the transformer on a batch of token rows [B, T]. Returns the hidden states of layer
    /// <paramref name="layerIndex"/> (null = the last layer after the final layer norm; negative counts from the
    /// end; an intermediate layer gets the final layer norm when <paramref name="normalizeHidden"/>), and the pooled
    /// output (the final-layer, final-normed state at each row's first end token, through <c>text_projection</c>
    /// when the model has one).
    /// Positions with <see cref="ClipToken.EmbeddingId"/> take their textual-inversion vectors; <paramref name="weightOverrides"/> replaces stored weights for this call (patched LoRA weights).
    /// </summary>
    public (Tensor Hidden, Tensor Pooled) Forward(IReadOnlyList<IReadOnlyList<ClipToken>> rows, int? layerIndex,
        IReadOnlyDictionary<string, Tensor>? weightOverrides = null, bool normalizeHidden = true)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            _scope.Overrides = weightOverrides;
            try
            {
                return Run(rows, layerIndex, normalizeHidden);
            }
            finally
            {
                _scope.Overrides = null;
            }
        }
    }

    private (Tensor Hidden, Tensor Pooled) Run(IReadOnlyList<IReadOnlyList<ClipToken>> rows, int? layerIndex, bool normalizeHidden)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int batch = rows.Count;
        int tokens = rows[0].Count;
        if (tokens > Config.MaxPositions)
        {
            throw new ArgumentException($"A CLIP row has {tokens} tokens; at most {Config.MaxPositions} are supported.", nameof(rows));
        }
        long[] ids = new long[batch * tokens];
        long[] firstEnd = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            firstEnd[b] = -1;
            for (int t = 0; t < tokens; t++)
            {
                int id = rows[b][t].Id;
                ids[(b * tokens) + t] = id == ClipToken.EmbeddingId ? 0 : id;
                if (firstEnd[b] < 0 && id == ClipBpeTokenizer.EndToken)
                {
                    firstEnd[b] = t;
                }
            }
            // Argmax over an all-false row is 0 in the reference.
            firstEnd[b] = Math.Max(firstEnd[b], 0);
        }
        Tensor idTensor = tensor(ids, [batch, tokens]);
        Tensor x = _tokenEmbedding.Weight.index_select(0, idTensor.view(-1)).to_type(ScalarType.Float32).view(batch, tokens, Config.Width);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < tokens; t++)
            {
                if (rows[b][t].Embedding is { } vector)
                {
                    x[b, t] = tensor(vector);
                }
            }
        }
        x = x.Add(_positionEmbedding.Weight.narrow(0, 0, tokens).to_type(ScalarType.Float32));
        Tensor mask = ScalarMath.Full([tokens, tokens], -float.MaxValue, ScalarType.Float32).triu(1);

        int? intermediateAt = layerIndex is { } li ? (li < 0 ? Config.Layers + li : li) : null;
        if (intermediateAt is { } at && (at < 0 || at >= Config.Layers))
        {
            throw new ArgumentOutOfRangeException(nameof(layerIndex), $"Layer {layerIndex} does not exist in a {Config.Layers}-layer CLIP.");
        }
        Tensor? intermediate = null;
        for (int i = 0; i < _layers.Length; i++)
        {
            x = _layers[i].Forward(x, mask);
            if (i == intermediateAt)
            {
                intermediate = x;
            }
        }
        Tensor final = _finalNorm.forward(x);
        Tensor hidden = intermediate is null ? final : normalizeHidden ? _finalNorm.forward(intermediate) : intermediate;
        Tensor pooled = final[ScalarMath.Arange(batch), tensor(firstEnd)];
        if (_projection is not null)
        {
            pooled = _projection.forward(pooled);
        }
        return (hidden.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }
}
