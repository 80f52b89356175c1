using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;

namespace ComfySharp.Nodes.Clip;

/// <summary>Encodes a prompt into a CONDITIONING with the CLIP text encoder.</summary>
public sealed class CLIPTextEncode : ComfyNode
{
    /// <summary>The reference's error when the CLIP input is null (a checkpoint without a text encoder).</summary>
    public const string NullClipError =
        "ERROR: clip input is invalid: None\n\nIf the clip is from a checkpoint loader node your checkpoint does not contain a valid clip or text encoder model.";

    /// <summary>The prompt.</summary>
    public static readonly StringInput Text = new("text") { Multiline = true, DynamicPrompts = true, Tooltip = "The text to be encoded." };

    /// <summary>The CLIP model.</summary>
    public static readonly SocketInput<ClipModel> Clip = new("clip", IOTypes.CLIP) { Tooltip = "The CLIP model used for encoding the text." };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPTextEncode",
        DisplayName = "CLIP Text Encode (Prompt)",
        Category = "conditioning",
        Description = "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.",
        Required = [Text, Clip],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING, Tooltip: "A conditioning containing the embedded text used to guide the diffusion model.")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string text = inputs.Get(Text);
        ClipModel clip = inputs.GetOrDefault(Clip, null!) ?? throw new InvalidOperationException(NullClipError);
        context.CancellationToken.ThrowIfCancellationRequested();
        // A CLIP from a checkpoint loader does not know the server's folders; embeddings come from them here.
        if (clip.Embeddings is null && context.Services.GetService(typeof(ModelFolders)) is ModelFolders folders)
        {
            clip = clip.WithEmbeddings(new FolderTextualInversionSource(folders));
        }
        // With SetClipHooks' hooks this may be several entries (one per keyframe range), carrying the hooks.
        return ValueTask.FromResult(NodeOutput.Of(Diffusion.Hooks.HookedClipEncoding.Encode(clip, clip.Tokenize(text))));
    }
}
