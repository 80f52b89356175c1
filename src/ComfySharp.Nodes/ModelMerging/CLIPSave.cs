using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>
/// Saves the CLIP text encoder with its patches baked in, as the reference names it for SD1: the
/// file gets a <c>_clip_l</c> suffix and its keys start at <c>text_model.</c>.
/// </summary>
public sealed class CLIPSave : ComfyNode
{
    /// <summary>The text encoder.</summary>
    public static readonly SocketInput<object> Clip = ModelSaving.Clip();
    /// <summary>Path and name start under the output folder.</summary>
    public static readonly StringInput FilenamePrefix = ModelSaving.FilenamePrefix("clip/ComfyUI");

    private static readonly NodeSchema Definition = ModelSaving.Schema("CLIPSave", null, [Clip, FilenamePrefix]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelSaving.Save(context, inputs.Get(FilenamePrefix) + "_clip_l", tensors => ModelSaving.AddClip(tensors, inputs.Get(Clip), "text_model."));
        return ValueTask.FromResult(ModelSaving.Done());
    }
}
