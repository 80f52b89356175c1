using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Blends two CLIP text encoders: ratio·clip1 + (1 − ratio)·clip2. Position ids and the logit scale stay clip1's.</summary>
public sealed class CLIPMergeSimple : ComfyNode
{
    /// <summary>The first text encoder.</summary>
    public static readonly SocketInput<object> Clip1 = MergeSupport.Clip("clip1");
    /// <summary>The second text encoder.</summary>
    public static readonly SocketInput<object> Clip2 = MergeSupport.Clip("clip2");
    /// <summary>Share of clip1.</summary>
    public static readonly FloatInput Ratio = MergeSupport.Ratio("ratio");

    private static readonly NodeSchema Definition = MergeSupport.Schema("CLIPMergeSimple", [Clip1, Clip2, Ratio], IOTypes.CLIP);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double ratio = inputs.Get(Ratio);
        return ValueTask.FromResult(NodeOutput.Of(MergeSupport.MergeClips(inputs.Get(Clip1), inputs.Get(Clip2), ratio, 1.0 - ratio)));
    }
}
