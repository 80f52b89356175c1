using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Models;

/// <summary>
/// Model merging as weight patches (the reference's add_patches with a full weight): a patch on key k
/// turns the target's weight w₁ into a·w₁ + b·w₂, where w₂ is the source's weight of k with the
/// source's own patches applied. Nothing is copied: the patch reads the source weight when the
/// target is patched for sampling.
/// </summary>
public static class WeightMerging
{
    /// <summary>The merge coefficients (a, b) for a key, or null to leave the key alone.</summary>
    public delegate (double A, double B)? Coefficients(string key);

    /// <summary>
    /// Patches for every key the target and the source share with equal shapes. <paramref name="sourceWeight"/>
    /// gives the source's stored weight of a key.
    /// </summary>
    public static List<WeightPatch> Merge(
        IReadOnlyDictionary<string, long[]> targetShapes, IReadOnlyDictionary<string, long[]> sourceShapes,
        Func<string, Tensor> sourceWeight, IReadOnlyList<WeightPatch> sourcePatches, Coefficients coefficients)
    {
        ArgumentNullException.ThrowIfNull(targetShapes);
        ArgumentNullException.ThrowIfNull(sourceShapes);
        ArgumentNullException.ThrowIfNull(sourceWeight);
        ArgumentNullException.ThrowIfNull(sourcePatches);
        ArgumentNullException.ThrowIfNull(coefficients);
        var bySourceKey = sourcePatches.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var patches = new List<WeightPatch>();
        foreach (var (key, shape) in sourceShapes)
        {
            if (!targetShapes.TryGetValue(key, out long[]? targetShape) || !targetShape.SequenceEqual(shape) || coefficients(key) is not { } c)
            {
                continue;
            }
            List<WeightPatch> own = bySourceKey.GetValueOrDefault(key) ?? [];
            (double a, double b) = c;
            patches.Add(new WeightPatch(key, 1.0, weight =>
            {
                using var scope = NewDisposeScope();
                Tensor source = SourceWithPatches(sourceWeight(key), own).to(weight.device);
                Tensor delta = weight.to_type(ScalarType.Float32).Mul(a - 1.0).Add(source.Mul(b));
                return delta.MoveToOuterDisposeScope();
            }));
        }
        return patches;
    }

    /// <summary>A module's parameters and buffers by name (the live tensors, not copies).</summary>
    public static Dictionary<string, Tensor> Weights(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters())
        {
            weights[name] = p;
        }
        foreach (var (name, b) in module.named_buffers())
        {
            weights.TryAdd(name, b);
        }
        return weights;
    }

    /// <summary>The shapes of <paramref name="weights"/>.</summary>
    public static Dictionary<string, long[]> Shapes(IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
    }

    /// <summary>The merged patches of two MODELs: model2's weights into model1 with per-key coefficients.</summary>
    public static ModelPatcher MergeModels(ModelPatcher model1, ModelPatcher model2, Coefficients coefficients)
    {
        ArgumentNullException.ThrowIfNull(model1);
        ArgumentNullException.ThrowIfNull(model2);
        Dictionary<string, Tensor> source = Weights(model2.Network.Module);
        List<WeightPatch> patches = Merge(Shapes(Weights(model1.Network.Module)), Shapes(source), key => source[key], model2.Patches, coefficients);
        return model1.WithPatches(patches);
    }

    private static Tensor SourceWithPatches(Tensor stored, List<WeightPatch> own)
    {
        Tensor weight = stored.to_type(ScalarType.Float32);
        foreach (WeightPatch patch in own)
        {
            weight = weight.Add(patch.ComputeDelta(weight).to_type(ScalarType.Float32).Mul(patch.Strength));
        }
        return weight;
    }
}
