using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>The q/k/v/out weight multipliers of the attention-multiply nodes, as weight patches (w → factor·w).</summary>
internal static class AttentionMultiply
{
    public const string Category = "_for_testing/attention_experiments";
    public const string Module = "comfy_extras.nodes_attention_multiply";

    public static FloatInput Factor(string name) => new(name) { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };

    /// <summary>
    /// A patch per weight and bias of the projections named <paramref name="attention"/>.{q,k,v,out}
    /// among <paramref name="keys"/>; factor 1 adds nothing.
    /// </summary>
    public static List<WeightPatch> Patches(IEnumerable<string> keys, string attention, (string Suffix, double Factor)[] projections)
    {
        var patches = new List<WeightPatch>();
        foreach (string key in keys)
        {
            foreach (var (suffix, factor) in projections)
            {
                if (factor != 1.0 && (key.EndsWith($"{attention}.{suffix}.weight", StringComparison.Ordinal) || key.EndsWith($"{attention}.{suffix}.bias", StringComparison.Ordinal)))
                {
                    patches.Add(new WeightPatch(key, factor - 1.0, static w => w.clone()));
                }
            }
        }
        return patches;
    }

    /// <summary>Multiplies the UNet attention <paramref name="attention"/> ("attn1" self, "attn2" cross) of every transformer.</summary>
    public static ModelPatcher PatchModel(ModelPatcher model, string attention, double q, double k, double v, double output)
    {
        var keys = model.Network.Module.named_parameters().Select(p => p.name);
        return model.WithPatches(Patches(keys, attention, [("to_q", q), ("to_k", k), ("to_v", v), ("to_out.0", output)]));
    }
}
