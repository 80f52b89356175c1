using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using ComfySharp.Diffusion.Clip;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Clip;

/// <summary>Shared logic of the text-encode nodes: embeddings folder, encoding, the CONDITIONING entry.</summary>
internal static class ClipEncoding
{
    /// <summary>The CLIP with the server's embeddings folder when it has none of its own.</summary>
    public static ClipModel WithFolders(ClipModel clip, NodeContext context) =>
        clip.Embeddings is null && context.Services.GetService(typeof(ModelFolders)) is ModelFolders folders
            ? clip.WithEmbeddings(new FolderTextualInversionSource(folders))
            : clip;

    /// <summary>Encodes <paramref name="tokens"/> into one CONDITIONING entry with <c>pooled_output</c> and the extra options.</summary>
    public static ConditioningValue Encode(ClipModel clip, TokenizedPrompt tokens, IReadOnlyDictionary<string, object?>? extra = null)
    {
        using var scope = NewDisposeScope();
        (Tensor cond, Tensor pooled) = clip.EncodeTokens(tokens);
        cond.MoveToOuterDisposeScope();
        pooled.MoveToOuterDisposeScope();
        var options = new Dictionary<string, object?>(StringComparer.Ordinal) { ["pooled_output"] = pooled };
        foreach ((string key, object? value) in extra ?? new Dictionary<string, object?>())
        {
            options[key] = value;
        }
        return new ConditioningValue([new ConditioningEntry(cond, options)]);
    }

    /// <summary>The error for a CLIP of the wrong family.</summary>
    public static InvalidOperationException WrongClip(string node, ClipModel clip, string needed) =>
        new($"{node} needs {needed}; this CLIP is {clip.Kind} (towers: {string.Join(", ", clip.Towers.Select(t => t.Name))}).");
}
