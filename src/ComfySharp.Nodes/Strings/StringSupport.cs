using System.Text;
using System.Text.RegularExpressions;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Schema pieces and Python string semantics (code-point indexing, <c>re</c> flags and replacement templates) for the string nodes.</summary>
internal static class StringSupport
{
    public const string Category = "utils/string";
    public const string Module = "comfy_extras.nodes_string";

    /// <summary>How long one regular-expression call may run before it is a node error (patterns are user input).</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    public static StringInput Text(string name) => new(name) { Multiline = true };

    public static BooleanInput Flag(string name, bool value) => new(name) { Default = value };

    public static NodeSchema Schema(string classType, string displayName, IReadOnlyList<InputSpec> required, OutputSpec output, IReadOnlyList<InputSpec>? optional = null) => new()
    {
        ClassType = classType,
        DisplayName = displayName,
        Category = Category,
        PythonModule = Module,
        Flavor = NodeFlavor.Schema,
        Required = required,
        Optional = optional ?? [],
        Outputs = [output],
    };

    /// <summary>The string as Unicode code points (Python's <c>str</c> indexing unit).</summary>
    public static int[] CodePoints(string value) => [.. value.EnumerateRunes().Select(r => r.Value)];

    /// <summary>Python's <c>s[start:end]</c> over code points.</summary>
    public static string Slice(string value, long start, long end)
    {
        int[] points = CodePoints(value);
        long n = points.Length;
        static long Clip(long index, long n) => index < 0 ? Math.Max(0, index + n) : Math.Min(index, n);
        long from = Clip(start, n), to = Clip(end, n);
        var builder = new StringBuilder();
        for (long i = from; i < to; i++)
        {
            builder.Append(char.ConvertFromUtf32(points[i]));
        }
        return builder.ToString();
    }

    /// <summary>Regex options for Python's IGNORECASE, MULTILINE and DOTALL flags.</summary>
    public static RegexOptions Options(bool ignoreCase, bool multiline, bool dotAll) =>
        RegexOptions.CultureInvariant
        | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None)
        | (multiline ? RegexOptions.Multiline : RegexOptions.None)
        | (dotAll ? RegexOptions.Singleline : RegexOptions.None);

    /// <summary>The pattern compiled, or null when it is not a valid expression; <paramref name="names"/> maps Python group names to numbers.</summary>
    public static Regex? TryCreate(string pattern, RegexOptions options, out Dictionary<string, int> names)
    {
        names = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            return new Regex(ToDotNetPattern(pattern, names), options, RegexTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>As <see cref="TryCreate(string, RegexOptions, out Dictionary{string, int})"/> without the names.</summary>
    public static Regex? TryCreate(string pattern, RegexOptions options) => TryCreate(pattern, options, out _);

    /// <summary>
    /// Python's pattern in .NET syntax with Python's group numbering: .NET numbers named groups after the
    /// unnamed ones, so <c>(?P&lt;name&gt;…)</c> becomes a plain group (its number recorded in <paramref name="names"/>)
    /// and <c>(?P=name)</c> a numbered backreference.
    /// </summary>
    public static string ToDotNetPattern(string pattern, Dictionary<string, int> names)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(names);
        var builder = new StringBuilder();
        int group = 0;
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                builder.Append(c).Append(pattern[++i]);
                continue;
            }
            if (inClass)
            {
                inClass = c != ']';
                builder.Append(c);
                continue;
            }
            if (c == '[')
            {
                inClass = true;
            }
            else if (c == '(' && pattern.AsSpan(i).StartsWith("(?P<") && pattern.IndexOf('>', i) is var close and > 0)
            {
                names[pattern[(i + 4)..close]] = ++group;
                builder.Append('(');
                i = close;
                continue;
            }
            else if (c == '(' && pattern.AsSpan(i).StartsWith("(?P=") && pattern.IndexOf(')', i) is var end and > 0)
            {
                string name = pattern[(i + 4)..end];
                builder.Append(names.TryGetValue(name, out int number) ? $"(?:\\{number})" : $"(?P={name})");
                i = end;
                continue;
            }
            else if (c == '(' && (i + 1 >= pattern.Length || pattern[i + 1] != '?'))
            {
                group++;
            }
            builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>
    /// A Python <c>re.sub</c> replacement template in .NET syntax: <c>\1</c>, <c>\g&lt;1&gt;</c> and <c>\g&lt;name&gt;</c> become
    /// group references, <c>\n</c>, <c>\t</c>, <c>\\</c> their characters, and a literal <c>$</c> is escaped.
    /// </summary>
    public static string ToDotNetReplacement(string template, IReadOnlyDictionary<string, int>? names = null)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '$')
            {
                builder.Append("$$");
                continue;
            }
            if (c != '\\' || i + 1 >= template.Length)
            {
                builder.Append(c);
                continue;
            }
            char next = template[++i];
            if (char.IsAsciiDigit(next))
            {
                int j = i;
                while (j < template.Length && j < i + 2 && char.IsAsciiDigit(template[j]))
                {
                    j++;
                }
                builder.Append("${").Append(template, i, j - i).Append('}');
                i = j - 1;
            }
            else if (next == 'g' && i + 1 < template.Length && template[i + 1] == '<' && template.IndexOf('>', i) is var close and > 0)
            {
                string name = template[(i + 2)..close];
                builder.Append("${").Append(names is not null && names.TryGetValue(name, out int number) ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : name).Append('}');
                i = close;
            }
            else
            {
                builder.Append(next switch
                {
                    'n' => "\n",
                    't' => "\t",
                    'r' => "\r",
                    '\\' => "\\",
                    _ => "\\" + next,
                });
            }
        }
        return builder.ToString();
    }

    /// <summary>Runs a regex call, turning a timeout into a node error.</summary>
    public static T Guard<T>(string node, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (RegexMatchTimeoutException)
        {
            throw new NodeException("ValueError", $"{node}: the regular expression took longer than {RegexTimeout.TotalSeconds:0} s on this string.");
        }
    }
}
