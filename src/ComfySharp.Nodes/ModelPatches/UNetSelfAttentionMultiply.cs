using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Scales the query, key, value and output projections of every UNet self-attention.</summary>
public sealed class UNetSelfAttentionMultiply : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Query projection factor.</summary>
    public static readonly FloatInput Q = AttentionMultiply.Factor("q");
    /// <summary>Key projection factor.</summary>
    public static readonly FloatInput K = AttentionMultiply.Factor("k");
    /// <summary>Value projection factor.</summary>
    public static readonly FloatInput V = AttentionMultiply.Factor("v");
    /// <summary>Output projection factor.</summary>
    public static readonly FloatInput Out = AttentionMultiply.Factor("out");

    private static readonly NodeSchema Definition = PatchSupport.Schema("UNetSelfAttentionMultiply", AttentionMultiply.Category, AttentionMultiply.Module, [Model, Q, K, V, Out]) with { Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelPatcher patched = AttentionMultiply.PatchModel(inputs.Get(Model), "attn1", inputs.Get(Q), inputs.Get(K), inputs.Get(V), inputs.Get(Out));
        return ValueTask.FromResult(NodeOutput.Of(patched));
    }
}
