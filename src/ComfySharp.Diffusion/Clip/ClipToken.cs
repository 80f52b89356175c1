namespace ComfySharp.Diffusion.Clip;

/// <summary>One position of a CLIP input chunk.</summary>
/// <param name="Id">Vocabulary id, or <see cref="EmbeddingId"/> when <paramref name="Embedding"/> is used instead.</param>
/// <param name="Weight">Prompt weight (1.0 = unweighted).</param>
/// <param name="WordId">1-based index of the token group it came from; 0 for start, end and padding.</param>
/// <param name="Embedding">A textual-inversion vector replacing the token embedding, or null.</param>
public sealed record ClipToken(int Id, double Weight, int WordId, float[]? Embedding = null)
{
    /// <summary>The id used for positions filled by a textual-inversion vector.</summary>
    public const int EmbeddingId = -1;
}

/// <summary>The result of tokenising a prompt: chunks of 77 tokens plus the warnings the reference logs.</summary>
/// <param name="Chunks">Each chunk is start token, up to 75 tokens, end token, padding.</param>
/// <param name="Warnings">Warnings (e.g. a missing embedding).</param>
public sealed record TokenizedPrompt(IReadOnlyList<IReadOnlyList<ClipToken>> Chunks, IReadOnlyList<string> Warnings)
{
    /// <summary>True when any token has a weight other than 1.</summary>
    public bool HasWeights => Chunks.Any(c => c.Any(t => t.Weight != 1.0));

    /// <summary>
    /// For a CLIP with several text towers (SDXL: <c>l</c> and <c>g</c>), each tower's own tokens by tower name;
    /// null for a single tower (then <see cref="Chunks"/> are its tokens).
    /// </summary>
    public IReadOnlyDictionary<string, TokenizedPrompt>? ByTower { get; init; }
}

/// <summary>Resolves <c>embedding:name</c> references to textual-inversion vectors.</summary>
public interface ITextualInversionSource
{
    /// <summary>The vectors [count][dimension] of embedding <paramref name="name"/>, or null when it does not exist.</summary>
    float[][]? TryLoad(string name);
}
