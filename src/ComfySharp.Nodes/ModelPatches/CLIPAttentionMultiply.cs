using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Scales the query, key, value and output projections of every self-attention of the CLIP text encoder(s).</summary>
public sealed class CLIPAttentionMultiply : ComfyNode
{
    /// <summary>The CLIP.</summary>
    public static readonly SocketInput<object> Clip = new("clip", IOTypes.CLIP);
    /// <summary>Query projection factor.</summary>
    public static readonly FloatInput Q = AttentionMultiply.Factor("q");
    /// <summary>Key projection factor.</summary>
    public static readonly FloatInput K = AttentionMultiply.Factor("k");
    /// <summary>Value projection factor.</summary>
    public static readonly FloatInput V = AttentionMultiply.Factor("v");
    /// <summary>Output projection factor.</summary>
    public static readonly FloatInput Out = AttentionMultiply.Factor("out");

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPAttentionMultiply",
        Category = AttentionMultiply.Category,
        PythonModule = AttentionMultiply.Module,
        Flavor = NodeFlavor.Schema,
        Experimental = true,
        Required = [Clip, Q, K, V, Out],
        Outputs = [new OutputSpec(IOTypes.CLIP)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Get(Clip) is not ClipModel clip)
        {
            throw new NodeException("ValueError", "CLIPAttentionMultiply needs a CLIP text encoder loaded by ComfySharp's CLIP loaders.");
        }
        (string, double)[] projections = [("q_proj", inputs.Get(Q)), ("k_proj", inputs.Get(K)), ("v_proj", inputs.Get(V)), ("out_proj", inputs.Get(Out))];
        var patches = new List<Diffusion.Models.WeightPatch>();
        foreach (ClipTower tower in clip.Towers)
        {
            string prefix = clip.Towers.Count == 1 ? "" : tower.PatchPrefix;
            patches.AddRange(AttentionMultiply.Patches(tower.Encoder.named_parameters().Select(p => prefix + p.name), "self_attn", projections));
        }
        return ValueTask.FromResult(NodeOutput.Of(clip.WithPatches(patches)));
    }
}
