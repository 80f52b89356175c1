using System.Globalization;

namespace ComfySharp.Diffusion.Clip;

/// <summary>
/// ComfyUI's prompt-weighting syntax: <c>(text)</c> multiplies the weight by 1.1 per level, <c>(text:1.3)</c>
/// sets it (an explicit inner weight replaces the outer one), <c>\(</c> and <c>\)</c> are literal
/// parentheses. Square brackets are ordinary text. Malformed input never fails: it degrades to text exactly
/// as the reference does.
/// </summary>
public static class PromptWeighting
{
    /// <summary>The factor of one level of parentheses.</summary>
    public const double ParenthesisFactor = 1.1;

    // Escaped parentheses are hidden behind control-character pairs while the parentheses are parsed.
    private const string EscapedClose = "\0\u0001";
    private const string EscapedOpen = "\0\u0002";

    /// <summary>Splits <paramref name="text"/> into (segment, weight) pairs, escapes resolved, in order.</summary>
    public static List<(string Text, double Weight)> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string escaped = text.Replace("\\)", EscapedClose, StringComparison.Ordinal).Replace("\\(", EscapedOpen, StringComparison.Ordinal);
        return [.. ParseWeights(escaped, 1.0).Select(s => (Unescape(s.Text), s.Weight))];
    }

    private static string Unescape(string text) =>
        text.Replace(EscapedClose, ")", StringComparison.Ordinal).Replace(EscapedOpen, "(", StringComparison.Ordinal);

    private static List<(string Text, double Weight)> ParseWeights(string text, double currentWeight)
    {
        var result = new List<(string, double)>();
        foreach (string part in SplitTopLevel(text))
        {
            if (part.Length >= 2 && part[0] == '(' && part[^1] == ')')
            {
                string inner = part[1..^1];
                double weight = currentWeight * ParenthesisFactor;
                int colon = inner.LastIndexOf(':');
                if (colon > 0 && TryParsePythonFloat(inner[(colon + 1)..], out double explicitWeight))
                {
                    weight = explicitWeight;
                    inner = inner[..colon];
                }
                result.AddRange(ParseWeights(inner, weight));
            }
            else
            {
                result.Add((part, currentWeight));
            }
        }
        return result;
    }

    /// <summary>Splits at top-level parentheses; an unmatched ")" lowers the depth below zero like the reference.</summary>
    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        int depth = 0;
        foreach (char c in text)
        {
            if (c == '(')
            {
                if (depth == 0)
                {
                    if (current.Length > 0)
                    {
                        parts.Add(current.ToString());
                    }
                    current.Clear().Append('(');
                }
                else
                {
                    current.Append(c);
                }
                depth++;
            }
            else if (c == ')')
            {
                depth--;
                if (depth == 0)
                {
                    parts.Add(current.Append(')').ToString());
                    current.Clear();
                }
                else
                {
                    current.Append(c);
                }
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
        {
            parts.Add(current.ToString());
        }
        return parts;
    }

    /// <summary>Python's <c>float(str)</c>: surrounding whitespace, underscores between digits, inf/nan.</summary>
    public static bool TryParsePythonFloat(string text, out double value)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }
        string body = s.TrimStart('+', '-');
        if (s.Length - body.Length > 1)
        {
            return false;
        }
        bool negative = s[0] == '-';
        string lower = body.ToLowerInvariant();
        if (lower is "inf" or "infinity")
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (lower == "nan")
        {
            value = double.NaN;
            return true;
        }
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            bool allowed = char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'
                || (c == '_' && i > 0 && i < body.Length - 1 && char.IsAsciiDigit(body[i - 1]) && char.IsAsciiDigit(body[i + 1]));
            if (!allowed)
            {
                return false;
            }
        }
        return double.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
