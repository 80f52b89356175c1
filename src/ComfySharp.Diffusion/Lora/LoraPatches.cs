using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Lora;

/// <summary>One LoRA weight pair (and optional alpha / mid weight) for one target parameter.</summary>
/// <param name="Up">lora_up / lora_B [out, rank, ...].</param>
/// <param name="Down">lora_down / lora_A [rank, in, ...].</param>
/// <param name="Alpha">The alpha value, or null (scale 1).</param>
/// <param name="Mid">LoCon mid weight, or null.</param>
public sealed record LoraWeights(Tensor Up, Tensor Down, double? Alpha, Tensor? Mid)
{
    /// <summary>alpha / rank, or 1 without alpha.</summary>
    public double Scale => Alpha is { } a ? a / Down.shape[0] : 1.0;

    /// <summary>up · down reshaped to the weight's shape (float32).</summary>
    public Tensor Difference(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var scope = NewDisposeScope();
        Tensor up = Up.to_type(ScalarType.Float32);
        Tensor down = Down.to_type(ScalarType.Float32);
        if (Mid is not null)
        {
            Tensor mid = Mid.to_type(ScalarType.Float32);
            long[] finalShape = [down.shape[1], down.shape[0], mid.shape[2], mid.shape[3]];
            down = mm(down.transpose(0, 1).flatten(1), mid.transpose(0, 1).flatten(1)).reshape(finalShape).transpose(0, 1);
        }
        return mm(up.flatten(1), down.flatten(1)).reshape(weight.shape).MoveToOuterDisposeScope();
    }
}

/// <summary>A loaded LoRA file: its weight pairs by LoRA key prefix.</summary>
public sealed class LoraFile : IDisposable
{
    private LoraFile(Dictionary<string, LoraWeights> weights) => Weights = weights;

    /// <summary>Weight pairs by LoRA key prefix (e.g. <c>lora_unet_input_blocks_1_1_proj_in</c>).</summary>
    public IReadOnlyDictionary<string, LoraWeights> Weights { get; }

    /// <summary>Reads every LoRA pair of a .safetensors file (float32, CPU).</summary>
    public static LoraFile Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var keys = file.Keys.ToHashSet(StringComparer.Ordinal);
        var weights = new Dictionary<string, LoraWeights>(StringComparer.Ordinal);
        (string Up, string Down)[] styles =
        [
            (".lora_up.weight", ".lora_down.weight"),
            ("_lora.up.weight", "_lora.down.weight"),
            (".lora_B.weight", ".lora_A.weight"),
            (".lora.up.weight", ".lora.down.weight"),
            (".lora_B", ".lora_A"),
            (".lora_linear_layer.up.weight", ".lora_linear_layer.down.weight"),
        ];
        foreach (string key in keys)
        {
            foreach (var (upSuffix, downSuffix) in styles)
            {
                if (!key.EndsWith(upSuffix, StringComparison.Ordinal))
                {
                    continue;
                }
                string prefix = key[..^upSuffix.Length];
                string down = prefix + downSuffix;
                if (!keys.Contains(down) || weights.ContainsKey(prefix))
                {
                    continue;
                }
                double? alpha = keys.Contains(prefix + ".alpha") ? file.Load(prefix + ".alpha", ScalarType.Float32).item<float>() : null;
                Tensor? mid = upSuffix == ".lora_up.weight" && keys.Contains(prefix + ".lora_mid.weight")
                    ? file.Load(prefix + ".lora_mid.weight", ScalarType.Float32).DetachFromDisposeScope()
                    : null;
                weights[prefix] = new LoraWeights(
                    file.Load(key, ScalarType.Float32).DetachFromDisposeScope(),
                    file.Load(down, ScalarType.Float32).DetachFromDisposeScope(),
                    alpha, mid);
                break;
            }
        }
        return new LoraFile(weights);
    }

    /// <summary>Weight patches for the parameters <paramref name="keyMap"/> reaches, at <paramref name="strength"/>.</summary>
    public List<WeightPatch> PatchesFor(IReadOnlyDictionary<string, string> keyMap, double strength)
    {
        ArgumentNullException.ThrowIfNull(keyMap);
        var patches = new List<WeightPatch>();
        foreach (var (prefix, w) in Weights)
        {
            if (keyMap.TryGetValue(prefix, out string? target))
            {
                // The reference scales lora_diff by (strength · alpha / rank) in one step.
                patches.Add(new WeightPatch(target, strength * w.Scale, w.Difference));
            }
        }
        return patches;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (LoraWeights w in Weights.Values)
        {
            w.Up.Dispose();
            w.Down.Dispose();
            w.Mid?.Dispose();
        }
    }
}

/// <summary>
/// A CLIP/text encoder value that LoRA can patch: it names its parameters and returns a copy with
/// extra weight patches (applied with the result rounded back to the stored dtype, fp16 for CLIP,
/// as the reference does).
/// </summary>
public interface IPatchableTextEncoder
{
    /// <summary>The parameter names patches may target.</summary>
    IReadOnlyCollection<string> PatchableParameterNames { get; }

    /// <summary>A copy of this value with more patches; the original is unchanged.</summary>
    object WithPatches(IReadOnlyList<WeightPatch> patches);
}
