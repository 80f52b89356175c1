using System.Globalization;
using System.Text;

namespace ComfySharp.Diffusion.Clip;

/// <summary>
/// Unicode NFC from embedded tables (Tokenizer/nfc.txt, generated from Python's unicodedata). Needed because
/// the server runs with invariant globalization, where <see cref="string.Normalize()"/> does not compose,
/// while the reference tokenizer NFC-normalises every prompt.
/// </summary>
public static class UnicodeNfc
{
    private const int HangulBase = 0xAC00, HangulL = 0x1100, HangulV = 0x1161, HangulT = 0x11A7;
    private const int VCount = 21, TCount = 28, SCount = 11172, LCount = 19;

    private static readonly Lazy<Tables> Data = new(Load);

    private sealed record Tables(Dictionary<int, int[]> Decompositions, Dictionary<long, int> Composites, List<(int Start, int End, int Class)> Classes);

    /// <summary>The NFC form of <paramref name="text"/>; ASCII text is returned unchanged without allocation.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Ascii.IsValid(text))
        {
            return text;
        }
        Tables tables = Data.Value;
        var decomposed = new List<int>(text.Length + 8);
        foreach (Rune rune in text.EnumerateRunes())
        {
            Decompose(rune.Value, tables, decomposed);
        }
        // Canonical ordering: stable sort of each run of non-starters by combining class.
        for (int i = 1; i < decomposed.Count; i++)
        {
            int cc = CombiningClass(decomposed[i], tables);
            if (cc == 0)
            {
                continue;
            }
            int j = i;
            while (j > 0 && CombiningClass(decomposed[j - 1], tables) > cc)
            {
                (decomposed[j - 1], decomposed[j]) = (decomposed[j], decomposed[j - 1]);
                j--;
            }
        }
        var composed = new List<int>(decomposed.Count);
        int starter = -1;
        int lastClass = 0;
        foreach (int cp in decomposed)
        {
            int cc = CombiningClass(cp, tables);
            if (starter >= 0)
            {
                bool adjacent = composed.Count - 1 == starter;
                bool blocked = !adjacent && (lastClass == 0 || lastClass >= cc);
                if (!blocked && TryCompose(composed[starter], cp, tables, out int composite))
                {
                    composed[starter] = composite;
                    continue;
                }
            }
            if (cc == 0)
            {
                starter = composed.Count;
            }
            lastClass = cc;
            composed.Add(cp);
        }
        var builder = new StringBuilder(composed.Count + 4);
        foreach (int cp in composed)
        {
            builder.Append(new Rune(cp).ToString());
        }
        return builder.ToString();
    }

    private static void Decompose(int cp, Tables tables, List<int> output)
    {
        int s = cp - HangulBase;
        if (s is >= 0 and < SCount)
        {
            output.Add(HangulL + (s / (VCount * TCount)));
            output.Add(HangulV + (s % (VCount * TCount) / TCount));
            if (s % TCount != 0)
            {
                output.Add(HangulT + (s % TCount));
            }
            return;
        }
        if (tables.Decompositions.TryGetValue(cp, out int[]? parts))
        {
            foreach (int part in parts)
            {
                Decompose(part, tables, output);
            }
            return;
        }
        output.Add(cp);
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        int l = first - HangulL, v = second - HangulV;
        if (l is >= 0 and < LCount && v is >= 0 and < VCount)
        {
            composite = HangulBase + (((l * VCount) + v) * TCount);
            return true;
        }
        int s = first - HangulBase, t = second - HangulT;
        if (s is >= 0 and < SCount && s % TCount == 0 && t is > 0 and < TCount)
        {
            composite = first + t;
            return true;
        }
        return tables.Composites.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static int CombiningClass(int cp, Tables tables)
    {
        List<(int Start, int End, int Class)> ranges = tables.Classes;
        int lo = 0, hi = ranges.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (cp < ranges[mid].Start)
            {
                hi = mid - 1;
            }
            else if (cp > ranges[mid].End)
            {
                lo = mid + 1;
            }
            else
            {
                return ranges[mid].Class;
            }
        }
        return 0;
    }

    private static Tables Load()
    {
        using Stream stream = typeof(UnicodeNfc).Assembly.GetManifestResourceStream("ComfySharp.Diffusion.Clip.nfc.txt")
            ?? throw new InvalidOperationException("Embedded NFC table is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var decompositions = new Dictionary<int, int[]>();
        var composites = new Dictionary<long, int>();
        var classes = new List<(int, int, int)>();
        static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        while (reader.ReadLine() is { } line)
        {
            string[] f = line.Split(' ');
            switch (f[0])
            {
                case "D":
                    decompositions[Hex(f[1])] = [.. f.Skip(2).Select(Hex)];
                    break;
                case "P":
                    int cp = Hex(f[1]);
                    int[] pair = decompositions[cp];
                    composites[((long)pair[0] << 21) | (uint)pair[1]] = cp;
                    break;
                case "C":
                    classes.Add((Hex(f[1]), Hex(f[2]), int.Parse(f[3], CultureInfo.InvariantCulture)));
                    break;
                default:
                    break;
            }
        }
        return new Tables(decompositions, composites, classes);
    }
}
