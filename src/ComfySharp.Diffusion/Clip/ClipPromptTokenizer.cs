using System.Text.RegularExpressions;

namespace ComfySharp.Diffusion.Clip;

/// <summary>
/// ComfyUI's SD1 tokenizer on top of <see cref="ClipBpeTokenizer"/>: prompt weights, <c>embedding:name</c>
/// references, and chunking into 77-token windows (start + 75 + end, padded with the end token), where a
/// token group shorter than <see cref="MaxWordLength"/> that does not fit moves whole into the next chunk.
/// </summary>
public sealed partial class ClipPromptTokenizer
{
    /// <summary>Tokens per chunk including start and end.</summary>
    public const int ChunkLength = 77;

    /// <summary>Groups of at least this many tokens are split at a chunk boundary instead of moved.</summary>
    public const int MaxWordLength = 8;

    /// <summary>The prefix that references a textual-inversion embedding.</summary>
    public const string EmbeddingIdentifier = "embedding:";

    private readonly ClipBpeTokenizer _bpe;
    private readonly int _embeddingDimension;

    /// <summary>
    /// Creates the tokenizer; <paramref name="embeddingDimension"/> filters textual inversions of another width;
    /// <paramref name="padToken"/> fills a chunk after its end token (the end token for CLIP-L, 0 for OpenCLIP towers).
    /// </summary>
    public ClipPromptTokenizer(ClipBpeTokenizer? bpe = null, int embeddingDimension = 768, int padToken = ClipBpeTokenizer.EndToken)
    {
        _bpe = bpe ?? ClipBpeTokenizer.Default;
        _embeddingDimension = embeddingDimension;
        PadToken = padToken;
    }

    /// <summary>The tokenizer for SD1.x CLIP-L with the shipped vocabulary.</summary>
    public static ClipPromptTokenizer Sd1 { get; } = new();

    /// <summary>The tokenizer of SDXL's OpenCLIP ViT-bigG tower (pads with 0).</summary>
    public static ClipPromptTokenizer BigG { get; } = new(embeddingDimension: 1280, padToken: 0);

    /// <summary>The tokenizer of SD 2.x's OpenCLIP ViT-H tower (pads with 0).</summary>
    public static ClipPromptTokenizer VitH { get; } = new(embeddingDimension: 1024, padToken: 0);

    /// <summary>The token after the end token up to the chunk length.</summary>
    public int PadToken { get; }

    [GeneratedRegex(" embedding:|\nembedding:")]
    private static partial Regex EmbeddingSplit();

    /// <summary>Tokenises <paramref name="text"/>; embeddings come from <paramref name="embeddings"/> (all missing when null).</summary>
    public TokenizedPrompt Tokenize(string text, ITextualInversionSource? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var warnings = new List<string>();
        var groups = new List<List<(int Id, double Weight, float[]? Embedding)>>();
        foreach ((string segment, double weight) in PromptWeighting.Parse(text))
        {
            string[] split = EmbeddingSplit().Split(segment);
            var words = new List<string> { split[0] };
            words.AddRange(split.Skip(1).Select(s => EmbeddingIdentifier + s));
            foreach (string candidate in words.Where(w => w.Length > 0))
            {
                string word = candidate;
                if (word.StartsWith(EmbeddingIdentifier, StringComparison.Ordinal))
                {
                    string reference = word[EmbeddingIdentifier.Length..].Trim('\n');
                    (float[][]? vectors, string leftover) = TryGetEmbedding(reference, embeddings);
                    if (vectors is null)
                    {
                        warnings.Add($"warning, embedding:{reference} does not exist, ignoring");
                    }
                    else
                    {
                        groups.Add([.. vectors.Select(v => (ClipToken.EmbeddingId, weight, (float[]?)v))]);
                    }
                    if (leftover.Length == 0)
                    {
                        continue;
                    }
                    word = leftover;
                }
                groups.Add([.. _bpe.Encode(word).Select(id => (id, weight, (float[]?)null))]);
            }
        }
        return new TokenizedPrompt(Chunk(groups), warnings);
    }

    /// <summary>
    /// The name is the first whitespace-separated word; when it is missing but ends in commas, the name without
    /// them is tried and the commas stay in the text.
    /// </summary>
    private (float[][]? Vectors, string Leftover) TryGetEmbedding(string reference, ITextualInversionSource? source)
    {
        string[] parts = reference.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string name = parts.Length > 0 ? parts[0] : "";
        string leftover = string.Join(' ', parts.Skip(1));
        float[][]? vectors = Load(name, source);
        if (vectors is null)
        {
            string stripped = name.Trim(',');
            if (stripped.Length < name.Length)
            {
                vectors = Load(stripped, source);
                return (vectors, $"{name[stripped.Length..]} {leftover}");
            }
        }
        return (vectors, leftover);
    }

    private float[][]? Load(string name, ITextualInversionSource? source)
    {
        if (source is null || name.Length == 0)
        {
            return null;
        }
        float[][]? vectors = source.TryLoad(name);
        return vectors is { Length: > 0 } && vectors.All(v => v.Length == _embeddingDimension) ? vectors : null;
    }

    private List<IReadOnlyList<ClipToken>> Chunk(List<List<(int Id, double Weight, float[]? Embedding)>> groups)
    {
        const int Start = ClipBpeTokenizer.StartToken;
        const int End = ClipBpeTokenizer.EndToken;
        var chunks = new List<IReadOnlyList<ClipToken>>();
        var chunk = new List<ClipToken> { new(Start, 1.0, 0) };
        chunks.Add(chunk);
        for (int g = 0; g < groups.Count; g++)
        {
            List<(int Id, double Weight, float[]? Embedding)> group = groups[g];
            bool isLarge = group.Count >= MaxWordLength;
            while (group.Count > 0)
            {
                if (group.Count + chunk.Count > ChunkLength - 1)
                {
                    int remaining = ChunkLength - chunk.Count - 1;
                    if (isLarge)
                    {
                        chunk.AddRange(group.Take(remaining).Select(t => new ClipToken(t.Id, t.Weight, g + 1, t.Embedding)));
                        chunk.Add(new ClipToken(End, 1.0, 0));
                        group = group[remaining..];
                    }
                    else
                    {
                        chunk.Add(new ClipToken(End, 1.0, 0));
                        chunk.AddRange(Enumerable.Repeat(new ClipToken(PadToken, 1.0, 0), remaining));
                    }
                    chunk = [new(Start, 1.0, 0)];
                    chunks.Add(chunk);
                }
                else
                {
                    chunk.AddRange(group.Select(t => new ClipToken(t.Id, t.Weight, g + 1, t.Embedding)));
                    group = [];
                }
            }
        }
        chunk.Add(new ClipToken(End, 1.0, 0));
        chunk.AddRange(Enumerable.Repeat(new ClipToken(PadToken, 1.0, 0), ChunkLength - chunk.Count));
        return chunks;
    }
}
