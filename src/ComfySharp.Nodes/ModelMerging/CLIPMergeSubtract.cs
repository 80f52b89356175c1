using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>The scaled difference multiplier·(clip1 − clip2). Position ids and the logit scale stay clip1's.</summary>
public sealed class CLIPMergeSubtract : ComfyNode
{
    /// <summary>The first text encoder.</summary>
    public static readonly SocketInput<object> Clip1 = MergeSupport.Clip("clip1");
    /// <summary>The second text encoder.</summary>
    public static readonly SocketInput<object> Clip2 = MergeSupport.Clip("clip2");
    /// <summary>Scale of the difference.</summary>
    public static readonly FloatInput Multiplier = MergeSupport.Multiplier();

    private static readonly NodeSchema Definition = MergeSupport.Schema("CLIPMergeSubtract", [Clip1, Clip2, Multiplier], IOTypes.CLIP);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double m = inputs.Get(Multiplier);
        return ValueTask.FromResult(NodeOutput.Of(MergeSupport.MergeClips(inputs.Get(Clip1), inputs.Get(Clip2), m, -m)));
    }
}
