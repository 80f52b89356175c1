using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Diffusion.Lora;
using ComfySharp.Diffusion.Models;
using ComfySharp.Nodes.Lora;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Hooks;

/// <summary>
/// A LoRA file as hook weights: its pairs mapped onto the network's or CLIP's parameters with the key maps LoraLoader
/// uses, at unit strength (the alpha / rank scale). Keys that reach nothing are ignored, as the reference's hook
/// loading does (it logs nothing for them either).
/// </summary>
public sealed class LoraHookWeights(LoraFile lora) : IHookWeights
{
    /// <inheritdoc />
    public IReadOnlyList<WeightPatch> ForDiffusionModel(nn.Module network) =>
        lora.PatchesFor(LoraKeyMap.ForUNet([.. network.named_parameters().Select(p => p.name)]), 1.0);

    /// <inheritdoc />
    public IReadOnlyList<WeightPatch> ForClip(ClipModel clip) => lora.PatchesFor(LoraApplication.ClipMap(clip), 1.0);
}

/// <summary>
/// Another checkpoint's weights as hook weights (the reference's <c>model_as_lora</c> patches): each parameter both
/// models have with the same shape moves by strength · (theirs − ours), ours being the unpatched weight.
/// <paramref name="otherModel"/> holds the other diffusion model's parameters by name, <paramref name="otherClip"/> its CLIP.
/// </summary>
public sealed class ModelAsLoraHookWeights(IReadOnlyDictionary<string, Tensor> otherModel, ClipModel? otherClip) : IHookWeights
{
    /// <inheritdoc />
    public IReadOnlyList<WeightPatch> ForDiffusionModel(nn.Module network)
    {
        var patches = new List<WeightPatch>();
        foreach (var (name, parameter) in network.named_parameters())
        {
            // The same network (the hook made from the checkpoint being sampled) moves by nothing; its live weight
            // may carry the model's own patches during sampling, so it must not serve as the target.
            if (otherModel.TryGetValue(name, out Tensor? target) && target.shape.SequenceEqual(parameter.shape)
                && !ReferenceEquals(target, parameter) && target.Handle != parameter.Handle)
            {
                patches.Add(new WeightPatch(name, 1.0, original => Difference(target, original)));
            }
        }
        return patches;
    }

    /// <inheritdoc />
    public IReadOnlyList<WeightPatch> ForClip(ClipModel clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var patches = new List<WeightPatch>();
        if (otherClip is null)
        {
            return patches;
        }
        foreach (ClipTower tower in clip.Towers)
        {
            if (otherClip.Towers.FirstOrDefault(t => t.Name == tower.Name) is not { } source)
            {
                continue;
            }
            string prefix = clip.Towers.Count == 1 ? "" : tower.PatchPrefix;
            var theirs = source.Encoder.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
            foreach (var (name, parameter) in tower.Encoder.named_parameters())
            {
                if (theirs.TryGetValue(name, out Tensor? weight) && weight.shape.SequenceEqual(parameter.shape))
                {
                    patches.Add(new WeightPatch(prefix + name, 1.0, original => Difference(weight, original)));
                }
            }
        }
        return patches;
    }

    private static Tensor Difference(Tensor target, Tensor original)
    {
        using var scope = NewDisposeScope();
        return (target.to_type(ScalarType.Float32).to(original.device) - original.to_type(ScalarType.Float32)).MoveToOuterDisposeScope();
    }
}
