using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Adds clip2's weights to clip1's. Position ids and the logit scale stay clip1's.</summary>
public sealed class CLIPMergeAdd : ComfyNode
{
    /// <summary>The first text encoder.</summary>
    public static readonly SocketInput<object> Clip1 = MergeSupport.Clip("clip1");
    /// <summary>The second text encoder.</summary>
    public static readonly SocketInput<object> Clip2 = MergeSupport.Clip("clip2");


    private static readonly NodeSchema Definition = MergeSupport.Schema("CLIPMergeAdd", [Clip1, Clip2], IOTypes.CLIP);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(MergeSupport.MergeClips(inputs.Get(Clip1), inputs.Get(Clip2), 1.0, 1.0)));
    }
}
