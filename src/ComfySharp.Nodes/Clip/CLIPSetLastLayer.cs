using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;

namespace ComfySharp.Nodes.Clip;

/// <summary>Returns a CLIP that reads an earlier transformer layer ("clip skip").</summary>
public sealed class CLIPSetLastLayer : ComfyNode
{
    /// <summary>The CLIP model.</summary>
    public static readonly SocketInput<ClipModel> Clip = new("clip", IOTypes.CLIP) { OneElementSpec = true };

    /// <summary>-1 = last layer, -2 = second to last, ...</summary>
    public static readonly IntInput StopAtClipLayer = new("stop_at_clip_layer") { Default = -1, Min = -24, Max = -1, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPSetLastLayer",
        DisplayName = "CLIP Set Last Layer",
        Category = "conditioning",
        Required = [Clip, StopAtClipLayer],
        Outputs = [new OutputSpec(IOTypes.CLIP)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ClipModel clip = inputs.Get(Clip);
        int layer = (int)inputs.Get(StopAtClipLayer);
        // Like the reference, an index beyond a tower's depth means "the last layer" of that tower.
        return ValueTask.FromResult(NodeOutput.Of(clip.WithClipLayer(layer)));
    }
}
