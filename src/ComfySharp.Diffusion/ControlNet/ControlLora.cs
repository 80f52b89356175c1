using System.Runtime.CompilerServices;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// A ControlNet-LoRA (Stability's control-lora files, marked by a <c>lora_controlnet</c> key; the reference's
/// <c>ControlLora</c>): the ControlNet has the sampled model's UNet architecture and starts from its encoder weights;
/// the file replaces some weights in full (hint encoder, zero convolutions, norms, biases) and adds low-rank deltas
/// <c>up · down</c> (flattened to matrices, reshaped to the weight) to others, as <c>ControlLoraOps</c> do. The network is
/// built on first use for each model and kept while that model lives and its weights are not re-patched.
/// </summary>
public sealed class ControlLora : IControlModel, IDisposable
{
    /// <summary>The key that marks a control-LoRA file.</summary>
    public const string MarkerKey = "lora_controlnet";

    private readonly Dictionary<string, Tensor> _weights;
    private readonly ConditionalWeakTable<nn.Module, Built> _built = [];
    private readonly Lock _gate = new();

    /// <summary>Wraps the file's tensors (without the marker key); the object owns them.</summary>
    public ControlLora(Dictionary<string, Tensor> weights, string name)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = weights;
        Name = name;
        HintChannels = weights.TryGetValue("input_hint_block.0.weight", out Tensor? hint)
            ? (int)hint.shape[1]
            : throw new UnsupportedControlNetException($"'{name}' is a control-LoRA without input_hint_block.0.weight.");
    }

    /// <summary>The file name, for messages.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public int HintChannels { get; }

    /// <summary>The tensors of the file.</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => _weights;

    /// <summary>The ControlNet for <paramref name="model"/> (built once per model, on the model's device and dtype).</summary>
    public ControlNetModel For(IDiffusionNetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not UNetModel unet)
        {
            throw new NotSupportedException($"The control-LoRA '{Name}' needs an LDM UNet model (SD1.x, SD2.x, SDXL); this model is {model.GetType().Name}.");
        }
        lock (_gate)
        {
            // Rebuilt when the model's weights were patched or restored since (a LoRA on the MODEL changes the encoder).
            long generation = Sampling.WeightPatching.Generation(unet);
            if (_built.TryGetValue(unet, out Built? existing))
            {
                if (existing.Generation == generation)
                {
                    return existing.Network;
                }
                existing.Network.Dispose();
                _built.Remove(unet);
            }
            ControlNetModel network = Build(unet);
            _built.Add(unet, new Built(network, generation));
            return network;
        }
    }

    private sealed record Built(ControlNetModel Network, long Generation);

    /// <summary>Builds the ControlNet: the model's config and encoder weights, the file's full weights, then the low-rank deltas.</summary>
    private ControlNetModel Build(UNetModel unet)
    {
        var network = new ControlNetModel(unet.Config, HintChannels);
        var baseWeights = unet.state_dict();
        var names = network.named_parameters().Select(p => p.name).ToList();
        return StrictLoading.LoadOrDispose(network, names, name => Weight(name, baseWeights), $"control-LoRA '{Name}'",
            n => n.MoveTo(unet.Device, unet.ComputeType));
    }

    private Tensor Weight(string name, Dictionary<string, Tensor> baseWeights)
    {
        using var scope = NewDisposeScope();
        Tensor weight = _weights.TryGetValue(name, out Tensor? full) ? full.to(ScalarType.Float32, CPU)
            : baseWeights.TryGetValue(name, out Tensor? original) ? original.to(ScalarType.Float32, CPU)
            : throw new UnsupportedControlNetException($"The control-LoRA '{Name}' has no '{name}' and the model has no such weight to start from.");
        if (name.EndsWith(".weight", StringComparison.Ordinal))
        {
            string module = name[..^".weight".Length];
            if (_weights.TryGetValue(module + ".up", out Tensor? up) && _weights.TryGetValue(module + ".down", out Tensor? down))
            {
                Tensor delta = matmul(up.to(ScalarType.Float32, CPU).flatten(1), down.to(ScalarType.Float32, CPU).flatten(1));
                weight = weight.Add(delta.reshape(weight.shape));
            }
        }
        // A copy: the file's tensors and the model's weights stay owned by their holders (the loader disposes what it reads).
        return weight.clone().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Tensor weight in _weights.Values)
        {
            weight.Dispose();
        }
        lock (_gate)
        {
            foreach (var (_, built) in _built)
            {
                built.Network.Dispose();
            }
            _built.Clear();
        }
    }
}
