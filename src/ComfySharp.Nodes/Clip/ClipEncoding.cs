using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using ComfySharp.Diffusion.Clip;

namespace ComfySharp.Nodes.Clip;

/// <summary>Shared logic of the text-encode nodes: embeddings folder, encoding, the CONDITIONING entry.</summary>
internal static class ClipEncoding
{
    /// <summary>The CLIP with the server's embeddings folder when it has none of its own.</summary>
    public static ClipModel WithFolders(ClipModel clip, NodeContext context) =>
        clip.Embeddings is null && context.Services.GetService(typeof(ModelFolders)) is ModelFolders folders
            ? clip.WithEmbeddings(new FolderTextualInversionSource(folders))
            : clip;

    /// <summary>Encodes <paramref name="tokens"/> into a CONDITIONING entry with <c>pooled_output</c> and the extra options (one per keyframe range with scheduled CLIP hooks).</summary>
    public static ConditioningValue Encode(ClipModel clip, TokenizedPrompt tokens, IReadOnlyDictionary<string, object?>? extra = null) =>
        Diffusion.Hooks.HookedClipEncoding.Encode(clip, tokens, extra);

    /// <summary>The error for a CLIP of the wrong family.</summary>
    public static InvalidOperationException WrongClip(string node, ClipModel clip, string needed) =>
        new($"{node} needs {needed}; this CLIP is {clip.Kind} (towers: {string.Join(", ", clip.Towers.Select(t => t.Name))}).");
}
