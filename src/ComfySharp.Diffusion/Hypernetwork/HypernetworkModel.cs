using System.Collections.Frozen;
using System.Globalization;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Hypernetwork;

/// <summary>
/// A hypernetwork (the A1111 training format): for each attention width, two small MLPs that add a learned
/// offset to the key and the value inputs of every attention of that width: k + mlp_k(k)·s, v + mlp_v(v)·s.
/// </summary>
/// <remarks>
/// The format is a pickled nested dict (<c>{768: [{linear.0.weight…}, {…}], "activation_func": "relu", …}</c>). Its
/// <c>.safetensors</c> form flattens that to keys <c>{width}.{0|1}.{layer}.weight|bias</c> with the options in the
/// header metadata (<c>activation_func</c>, <c>is_layer_norm</c>, <c>activate_output</c>); that is what loads here
/// (pickles are refused like every other pickle). Layers run in their index order as the reference builds them:
/// Linear, then the activation (except after the last Linear unless <c>activate_output</c>), then the LayerNorm when
/// <c>is_layer_norm</c>. Dropout layers of the training setup are inactive at inference.
/// </remarks>
public sealed class HypernetworkModel : IDisposable
{
    private static readonly FrozenSet<string> Activations = new string[] { "linear", "relu", "leakyrelu", "elu", "swish", "tanh", "sigmoid" }.ToFrozenSet(StringComparer.Ordinal);

    private readonly Dictionary<long, (Layer[] Key, Layer[] Value)> _byWidth;

    private HypernetworkModel(Dictionary<long, (Layer[] Key, Layer[] Value)> byWidth, string activation, bool activateOutput)
    {
        _byWidth = byWidth;
        Activation = activation;
        ActivateOutput = activateOutput;
    }

    /// <summary>The attention widths this hypernetwork patches (e.g. 320, 640, 768, 1280).</summary>
    public IReadOnlyCollection<long> Widths => _byWidth.Keys;

    /// <summary>The activation after each hidden Linear.</summary>
    public string Activation { get; }

    /// <summary>Whether the last Linear is followed by the activation too.</summary>
    public bool ActivateOutput { get; }

    /// <summary>Loads a hypernetwork file; a file of another kind is refused naming what its keys show.</summary>
    public static HypernetworkModel Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var groups = new Dictionary<(long Width, int Which), SortedDictionary<int, Dictionary<string, string>>>();
        foreach (string key in file.Keys)
        {
            // {width}.{0|1}.{module}.{layer index}.{weight|bias}
            string[] parts = key.Split('.');
            if (parts.Length != 5 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long width)
                || parts[1] is not ("0" or "1") || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int layer)
                || parts[4] is not ("weight" or "bias"))
            {
                throw new NotSupportedException($"'{Path.GetFileName(path)}' is not a hypernetwork: key '{key}' is not of the form width.0|1.linear.N.weight|bias.");
            }
            var byLayer = groups.TryGetValue((width, parts[1][0] - '0'), out var existing) ? existing : groups[(width, parts[1][0] - '0')] = new();
            (byLayer.TryGetValue(layer, out var tensors) ? tensors : byLayer[layer] = new(StringComparer.Ordinal))[parts[4]] = key;
        }
        if (groups.Count == 0)
        {
            throw new NotSupportedException($"'{Path.GetFileName(path)}' is not a hypernetwork: it holds no tensors.");
        }
        string activation = file.Metadata.GetValueOrDefault("activation_func", "linear");
        if (!Activations.Contains(activation))
        {
            throw new NotSupportedException($"Hypernetwork '{Path.GetFileName(path)}': unsupported activation_func '{activation}'.");
        }
        bool layerNorm = Flag(file, "is_layer_norm");
        bool activateOutput = Flag(file, "activate_output");
        var byWidth = new Dictionary<long, (Layer[] Key, Layer[] Value)>();
        foreach (long width in groups.Keys.Select(g => g.Width).Distinct())
        {
            if (!groups.TryGetValue((width, 0), out var keyLayers) || !groups.TryGetValue((width, 1), out var valueLayers))
            {
                throw new NotSupportedException($"Hypernetwork '{Path.GetFileName(path)}': width {width} lacks its key or value network.");
            }
            byWidth[width] = (Build(file, keyLayers, layerNorm, width), Build(file, valueLayers, layerNorm, width));
        }
        return new HypernetworkModel(byWidth, activation, activateOutput);
    }

    /// <summary>The offsets applied to key and value inputs of width <c>k.shape[-1]</c>; other widths pass unchanged.</summary>
    public (Tensor Key, Tensor Value) Apply(Tensor key, Tensor value, double strength)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_byWidth.TryGetValue(key.shape[^1], out var nets))
        {
            return (key, value);
        }
        using var scope = NewDisposeScope();
        Tensor k = key.Add(Run(nets.Key, key).Mul(strength));
        Tensor v = value.Add(Run(nets.Value, value).Mul(strength));
        return (k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }

    /// <summary>Runs the layers of one network on <paramref name="x"/> (exposed for tests).</summary>
    public Tensor Run(long width, bool valueNetwork, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var nets = _byWidth[width];
        return Run(valueNetwork ? nets.Value : nets.Key, x);
    }

    private Tensor Run(Layer[] layers, Tensor x)
    {
        using var scope = NewDisposeScope();
        int linears = layers.Count(l => !l.IsNorm);
        int seen = 0;
        Tensor h = x;
        foreach (Layer layer in layers)
        {
            Tensor weight = layer.Weight.to(h.dtype, h.device), bias = layer.Bias.to(h.dtype, h.device);
            if (layer.IsNorm)
            {
                h = F.layer_norm(h, [weight.shape[0]], weight, bias, 1e-5);
                continue;
            }
            h = F.linear(h, weight, bias);
            seen++;
            if (Activation != "linear" && (seen < linears || ActivateOutput))
            {
                h = Activate(h);
            }
        }
        return h.MoveToOuterDisposeScope();
    }

    private Tensor Activate(Tensor h) => Activation switch
    {
        "relu" => h.relu(),
        "leakyrelu" => where(h.Gt(0.0), h, h.Mul(0.01)),
        "elu" => where(h.Gt(0.0), h, h.exp().Sub(1.0)),
        "swish" => h.mul(h.sigmoid()),
        "tanh" => h.tanh(),
        "sigmoid" => h.sigmoid(),
        _ => h,
    };

    private static Layer[] Build(SafeTensorsFile file, SortedDictionary<int, Dictionary<string, string>> layers, bool layerNorm, long width)
    {
        var result = new List<Layer>();
        long features = width;
        foreach ((int index, Dictionary<string, string> keys) in layers)
        {
            if (!keys.TryGetValue("weight", out string? weightKey) || !keys.TryGetValue("bias", out string? biasKey))
            {
                throw new NotSupportedException($"Hypernetwork layer {index} of width {width} lacks its weight or bias.");
            }
            Tensor weight = file.Load(weightKey, ScalarType.Float32).DetachFromDisposeScope();
            Tensor bias = file.Load(biasKey, ScalarType.Float32).DetachFromDisposeScope();
            // With is_layer_norm every Linear is followed by a LayerNorm: 1-D weights of the current width.
            bool isNorm = layerNorm && weight.dim() == 1;
            if (!isNorm && (weight.dim() != 2 || weight.shape[1] != features || bias.shape[0] != weight.shape[0]))
            {
                throw new NotSupportedException($"Hypernetwork layer {index} of width {width}: weight {string.Join('×', weight.shape)} does not follow {features} features.");
            }
            features = isNorm ? features : weight.shape[0];
            result.Add(new Layer(weight, bias, isNorm));
        }
        if (features != width)
        {
            throw new NotSupportedException($"Hypernetwork network of width {width} ends with {features} features instead of {width}.");
        }
        return [.. result];
    }

    private static bool Flag(SafeTensorsFile file, string name) =>
        file.Metadata.TryGetValue(name, out string? value) && value.Trim().ToLowerInvariant() is "true" or "1";

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (key, value) in _byWidth.Values)
        {
            foreach (Layer layer in key.Concat(value))
            {
                layer.Weight.Dispose();
                layer.Bias.Dispose();
            }
        }
    }

    private sealed record Layer(Tensor Weight, Tensor Bias, bool IsNorm);
}
