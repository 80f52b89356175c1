using System.Globalization;

namespace ComfySharp.Server.Tests.Service;

/// <summary>
/// A Prometheus text exposition format (0.0.4) parser written for the tests from the format's
/// description, independent of prometheus-net's writer: comments (HELP, TYPE), samples with
/// escaped label values, and the histogram invariants.
/// </summary>
internal sealed class PrometheusText
{
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public List<(string Name, Dictionary<string, string> Labels, double Value)> Samples { get; } = [];

    public static PrometheusText Parse(string text)
    {
        var result = new PrometheusText();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith('#'))
            {
                string[] parts = line.Split(' ', 4);
                if (parts.Length >= 4 && parts[1] == "TYPE")
                {
                    result.Types[parts[2]] = parts[3].Trim();
                }
                continue;
            }
            int i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ')
            {
                i++;
            }
            string name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    int eq = line.IndexOf('=', i);
                    string label = line[i..eq].Trim();
                    if (line[eq + 1] != '"')
                    {
                        throw new FormatException($"Label value not quoted: {line}");
                    }
                    var value = new System.Text.StringBuilder();
                    int j = eq + 2;
                    for (; line[j] != '"'; j++)
                    {
                        if (line[j] == '\\')
                        {
                            j++;
                            value.Append(line[j] switch { 'n' => '\n', '\\' => '\\', '"' => '"', char c => throw new FormatException($"Bad escape \\{c}") });
                        }
                        else
                        {
                            value.Append(line[j]);
                        }
                    }
                    labels[label] = value.ToString();
                    i = j + 1;
                    if (line[i] == ',')
                    {
                        i++;
                    }
                }
                i++;
            }
            string[] rest = line[i..].Trim().Split(' ');
            double v = rest[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                string s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            result.Samples.Add((name, labels, v));
        }
        return result;
    }

    /// <summary>The value of the sample with this name whose labels include <paramref name="labels"/>; 0 when absent.</summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value))
            .Select(s => s.Value).DefaultIfEmpty(0).Sum();

    /// <summary>Checks every histogram: cumulative buckets never decrease, the +Inf bucket equals _count.</summary>
    public void CheckHistograms()
    {
        foreach (string histogram in Types.Where(t => t.Value == "histogram").Select(t => t.Key))
        {
            var series = Samples.Where(s => s.Name == histogram + "_bucket")
                .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)));
            foreach (var group in series)
            {
                var buckets = group.Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), s.Value))
                    .OrderBy(b => b.Le).ToList();
                for (int k = 1; k < buckets.Count; k++)
                {
                    if (buckets[k].Value < buckets[k - 1].Value)
                    {
                        throw new FormatException($"{histogram} {group.Key}: bucket le={buckets[k].Le} is below the previous one");
                    }
                }
                double count = Samples.Where(s => s.Name == histogram + "_count"
                    && group.First().Labels.Where(l => l.Key != "le").All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value)).Select(s => s.Value).FirstOrDefault();
                if (!double.IsPositiveInfinity(buckets[^1].Le) || buckets[^1].Value != count)
                {
                    throw new FormatException($"{histogram} {group.Key}: +Inf bucket {buckets[^1].Value} differs from _count {count}");
                }
            }
        }
    }
}
