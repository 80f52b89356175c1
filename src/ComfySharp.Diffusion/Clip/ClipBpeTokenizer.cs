using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ComfySharp.Diffusion.Clip;

/// <summary>
/// The CLIP byte-level BPE tokenizer as the reference runs it: Hugging Face's slow <c>CLIPTokenizer</c>
/// without ftfy, i.e. a basic clean-up (control characters dropped, whitespace normalised, spaces around CJK
/// ideographs, NFC, lower case) followed by CLIP's pre-tokenisation pattern and BPE over the shipped
/// vocabulary. Immutable and thread-safe; load once with <see cref="Default"/>.
/// </summary>
public sealed class ClipBpeTokenizer
{
    /// <summary>Id of <c>&lt;|startoftext|&gt;</c>.</summary>
    public const int StartToken = 49406;

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (also the unknown and, for SD1.x, the padding token).</summary>
    public const int EndToken = 49407;

    private const string StartText = "<|startoftext|>";
    private const string EndText = "<|endoftext|>";

    private static readonly Lazy<ClipBpeTokenizer> Shared = new(LoadEmbedded);
    private static readonly string[] ByteToUnicode = BuildByteToUnicode();
    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _mergeRanks;
    private readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    /// <summary>Builds a tokenizer from vocab.json text and merges.txt text.</summary>
    public ClipBpeTokenizer(string vocabJson, string mergesText)
    {
        ArgumentNullException.ThrowIfNull(mergesText);
        _vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson)
            ?? throw new ArgumentException("vocab.json is empty.", nameof(vocabJson));
        // The reference reads the first 49152 - 256 - 2 merges after the version line.
        string[] lines = mergesText.Trim().Split('\n');
        int count = Math.Min(lines.Length - 1, 49152 - 256 - 2);
        _mergeRanks = new Dictionary<(string, string), int>(count);
        for (int i = 0; i < count; i++)
        {
            string[] pair = lines[i + 1].Split(' ');
            _mergeRanks.TryAdd((pair[0], pair[1]), i);
        }
    }

    /// <summary>The tokenizer over the vocabulary embedded in this assembly.</summary>
    public static ClipBpeTokenizer Default => Shared.Value;

    /// <summary>Vocabulary size (49408).</summary>
    public int VocabularySize => _vocab.Count;

    /// <summary>The token ids of <paramref name="text"/> without start/end tokens.</summary>
    public List<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        // Special tokens written literally in the text are recognised before any clean-up.
        int position = 0;
        while (position < text.Length)
        {
            int start = text.IndexOf(StartText, position, StringComparison.Ordinal);
            int end = text.IndexOf(EndText, position, StringComparison.Ordinal);
            int next = start < 0 ? end : end < 0 ? start : Math.Min(start, end);
            if (next < 0)
            {
                EncodeOrdinary(text[position..], ids);
                break;
            }
            EncodeOrdinary(text[position..next], ids);
            bool isStart = next == start;
            ids.Add(isStart ? StartToken : EndToken);
            position = next + (isStart ? StartText.Length : EndText.Length);
        }
        return ids;
    }

    /// <summary>The BPE pieces of <paramref name="text"/> (vocabulary strings), for diagnostics.</summary>
    public List<string> Pieces(string text)
    {
        var pieces = new List<string>();
        foreach (string word in PreTokenize(BasicClean(text)))
        {
            pieces.AddRange(Bpe(ToByteString(word)));
        }
        return pieces;
    }

    private void EncodeOrdinary(string text, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }
        foreach (string word in PreTokenize(BasicClean(text)))
        {
            foreach (string piece in Bpe(ToByteString(word)))
            {
                ids.Add(_vocab.TryGetValue(piece, out int id) ? id : EndToken);
            }
        }
    }

    /// <summary>
    /// Hugging Face's BasicTokenizer with lower-casing, no accent stripping and no punctuation split:
    /// drop NUL, U+FFFD and control characters, map whitespace to spaces, surround CJK ideographs with spaces,
    /// NFC-normalise, lower-case each whitespace-separated word and join the words with single spaces.
    /// </summary>
    public static string BasicClean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = new StringBuilder(text.Length + 8);
        foreach (Rune rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD)
            {
                continue;
            }
            if (cp is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator)
            {
                cleaned.Append(' ');
                continue;
            }
            if (IsControl(rune))
            {
                continue;
            }
            if (IsCjkIdeograph(cp))
            {
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            }
            else
            {
                cleaned.Append(rune.ToString());
            }
        }
        string normalized = UnicodeNfc.Normalize(cleaned.ToString());
        var words = new List<string>();
        foreach (string word in SplitPythonWhitespace(normalized))
        {
            words.Add(word.ToLowerInvariant());
        }
        // Lower-casing can itself produce whitespace-free but re-splittable text only in theory; the reference splits again.
        return string.Join(' ', words.SelectMany(SplitPythonWhitespace));
    }

    private static bool IsControl(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    private static bool IsCjkIdeograph(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static IEnumerable<string> SplitPythonWhitespace(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && IsPythonWhitespace(text[i]))
            {
                i++;
            }
            int start = i;
            while (i < text.Length && !IsPythonWhitespace(text[i]))
            {
                i++;
            }
            if (i > start)
            {
                yield return text[start..i];
            }
        }
    }

    private static bool IsPythonWhitespace(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    /// <summary>
    /// CLIP's pre-tokenisation: contractions, runs of letters, single digits, runs of other non-space
    /// characters (case-insensitive), scanned by code point so characters outside the BMP behave as in Python.
    /// </summary>
    private static List<string> PreTokenize(string text)
    {
        var words = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            if (text.AsSpan(i).StartsWith(StartText, StringComparison.OrdinalIgnoreCase) || text.AsSpan(i).StartsWith(EndText, StringComparison.OrdinalIgnoreCase))
            {
                int length = text.AsSpan(i).StartsWith(StartText, StringComparison.OrdinalIgnoreCase) ? StartText.Length : EndText.Length;
                words.Add(text.Substring(i, length));
                i += length;
                continue;
            }
            string? contraction = Contractions.FirstOrDefault(c => text.AsSpan(i).StartsWith(c, StringComparison.OrdinalIgnoreCase));
            if (contraction is not null)
            {
                words.Add(text.Substring(i, contraction.Length));
                i += contraction.Length;
                continue;
            }
            Rune rune = Rune.GetRuneAt(text, i);
            CharKind kind = Classify(rune);
            if (kind == CharKind.Space)
            {
                i += rune.Utf16SequenceLength;
                continue;
            }
            int start = i;
            i += rune.Utf16SequenceLength;
            if (kind != CharKind.Number)
            {
                while (i < text.Length)
                {
                    Rune next = Rune.GetRuneAt(text, i);
                    if (Classify(next) != kind)
                    {
                        break;
                    }
                    i += next.Utf16SequenceLength;
                }
            }
            words.Add(text[start..i]);
        }
        return words;
    }

    private enum CharKind { Letter, Number, Space, Other }

    private static CharKind Classify(Rune rune)
    {
        if (Rune.IsWhiteSpace(rune))
        {
            return CharKind.Space;
        }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Number,
            _ => CharKind.Other,
        };
    }

    private static string ToByteString(string word)
    {
        var builder = new StringBuilder(word.Length * 2);
        foreach (byte b in Encoding.UTF8.GetBytes(word))
        {
            builder.Append(ByteToUnicode[b]);
        }
        return builder.ToString();
    }

    /// <summary>Applies the merges to one pre-token (already mapped to byte characters); the last symbol carries "&lt;/w&gt;".</summary>
    private string[] Bpe(string token)
    {
        if (_cache.TryGetValue(token, out string[]? cached))
        {
            return cached;
        }
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++)
        {
            word.Add(token[i].ToString());
        }
        word.Add(token[^1] + "</w>");
        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (_mergeRanks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = (word[i], word[i + 1]);
                }
            }
            if (bestRank == int.MaxValue)
            {
                break;
            }
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count; i++)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    merged.Add(best.Item1 + best.Item2);
                    i++;
                }
                else
                {
                    merged.Add(word[i]);
                }
            }
            word = merged;
        }
        string[] result = [.. word];
        if (_cache.Count < 100_000)
        {
            _cache.TryAdd(token, result);
        }
        return result;
    }

    /// <summary>GPT-2's reversible byte-to-printable-character table.</summary>
    private static string[] BuildByteToUnicode()
    {
        string[] table = new string[256];
        var printable = new HashSet<int>();
        for (int b = '!'; b <= '~'; b++) { printable.Add(b); }
        for (int b = 0xA1; b <= 0xAC; b++) { printable.Add(b); }
        for (int b = 0xAE; b <= 0xFF; b++) { printable.Add(b); }
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            table[b] = printable.Contains(b) ? ((char)b).ToString() : ((char)(256 + extra++)).ToString();
        }
        return table;
    }

    private static ClipBpeTokenizer LoadEmbedded()
    {
        static string Read(string name)
        {
            using Stream stream = typeof(ClipBpeTokenizer).Assembly.GetManifestResourceStream($"ComfySharp.Diffusion.Clip.{name}")
                ?? throw new InvalidOperationException($"Embedded CLIP tokenizer file '{name}' is missing.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        return new ClipBpeTokenizer(Read("vocab.json"), Read("merges.txt"));
    }
}
