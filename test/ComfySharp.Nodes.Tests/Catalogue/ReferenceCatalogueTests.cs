using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Schema;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Nodes.Tests.Catalogue;

/// <summary>
/// Every class ComfySharp registers that the reference also has serves the reference's
/// <c>/object_info</c> entry (object_info_reference_0.8.0.json), with prose (descriptions, tooltips)
/// and file lists (combo options computed from model or input folders) left out of the comparison.
/// </summary>
public sealed class ReferenceCatalogueTests
{
    private const string FileList = "<file list>";
    private const string Prose = "<prose>";

    /// <summary>
    /// Differences we know of and keep for now, each with its reason. The test fails when one of them
    /// disappears, so that the entry is removed with the fix.
    /// </summary>
    private static readonly Dictionary<string, string[]> KnownDifferences = new(StringComparer.Ordinal)
    {
        // The reference serves two output tooltips for one output (inherited from LoraLoader); our
        // schema derives output_tooltips from the outputs, so it cannot express the extra entry.
        ["LoraLoaderModelOnly"] = ["LoraLoaderModelOnly.output_tooltips: reference [\"<prose>\",\"<prose>\"], ours [\"<prose>\"]"],
    };

    private static readonly Lazy<JsonObject> Reference = new(() => (JsonObject)JsonNode.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Shared, "spec", "samples", "object_info_reference_0.8.0.json")))!);

    private static readonly Lazy<IServiceProvider> Services = new(() =>
        Sampling.TestNodeContext.WithModelFolders(TestPaths.NewTempDirectory("catalogue")));

    private static NodeRegistry Registry()
    {
        var registry = new NodeRegistry();
        new CoreNodes().Register(registry);
        return registry;
    }

    /// <summary>Every registered class the reference also has.</summary>
    public static TheoryData<string> SharedClasses()
    {
        var data = new TheoryData<string>();
        foreach (var registration in Registry().All)
        {
            if (Reference.Value.ContainsKey(registration.Schema.ClassType))
            {
                data.Add(registration.Schema.ClassType);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SharedClasses))]
    public void Entry_equals_the_reference(string classType)
    {
        Assert.True(Registry().TryGet(classType, out var registration));
        NodeSchema schema = registration.Schema;
        var fileInputs = schema.AllInputs.OfType<ComboInput>().Where(c => c.HasDynamicOptions).Select(c => c.Name).ToHashSet();
        JsonNode ours = Normalize(ObjectInfo.Definition(schema, Services.Value), fileInputs);
        JsonNode theirs = Normalize(Reference.Value[classType]!.DeepClone(), fileInputs);
        var differences = new List<string>();
        Compare(theirs, ours, classType, differences);
        string[] known = KnownDifferences.GetValueOrDefault(classType, []);
        Assert.True(differences.SequenceEqual(known), string.Join("\n", differences));
    }

    [Fact]
    public void The_comparison_covers_every_class_the_reference_shares()
    {
        // A floor, so that a registration change that drops the shared classes cannot pass silently.
        Assert.True(SharedClasses().Count >= 60, $"only {SharedClasses().Count} shared classes");
    }

    [Fact]
    public void The_comparison_sees_a_changed_default()
    {
        var reference = (JsonObject)Normalize(Reference.Value["KSampler"]!.DeepClone(), []);
        var changed = (JsonObject)reference.DeepClone();
        changed["input"]!["required"]!["steps"]![1]!["default"] = 21;
        var differences = new List<string>();
        Compare(reference, changed, "KSampler", differences);
        Assert.Single(differences);
    }

    /// <summary>Removes prose and replaces file lists so that the remaining facts can be compared.</summary>
    private static JsonNode Normalize(JsonNode entry, HashSet<string> fileInputs)
    {
        var root = (JsonObject)entry;
        root.Remove("description");
        if (root["output_tooltips"] is JsonArray tips)
        {
            for (int i = 0; i < tips.Count; i++)
            {
                tips[i] = tips[i] is null ? null : Prose;
            }
        }
        if (root["input"] is JsonObject input)
        {
            foreach (var (_, group) in input)
            {
                if (group is not JsonObject specs)
                {
                    continue;
                }
                foreach (var (name, spec) in specs)
                {
                    if (spec is not JsonArray array)
                    {
                        continue;
                    }
                    if (array.Count > 1 && array[1] is JsonObject options)
                    {
                        options.Remove("tooltip");
                        if (fileInputs.Contains(name) && options.ContainsKey("options"))
                        {
                            options["options"] = FileList;
                        }
                    }
                    if (fileInputs.Contains(name) && array[0] is JsonArray)
                    {
                        array[0] = FileList;
                    }
                }
            }
        }
        return root;
    }

    private static void Compare(JsonNode? want, JsonNode? got, string path, List<string> differences)
    {
        switch (want)
        {
            case null when got is null:
                return;
            case JsonObject wantObject when got is JsonObject gotObject:
                foreach (var (key, value) in wantObject)
                {
                    if (!gotObject.ContainsKey(key))
                    {
                        differences.Add($"{path}.{key}: missing (reference {Text(value)})");
                        continue;
                    }
                    Compare(value, gotObject[key], $"{path}.{key}", differences);
                }
                foreach (var (key, value) in gotObject)
                {
                    if (!wantObject.ContainsKey(key))
                    {
                        differences.Add($"{path}.{key}: not in the reference (ours {Text(value)})");
                    }
                }
                return;
            case JsonArray wantArray when got is JsonArray gotArray:
                if (wantArray.Count != gotArray.Count)
                {
                    differences.Add($"{path}: reference {Text(wantArray)}, ours {Text(gotArray)}");
                    return;
                }
                for (int i = 0; i < wantArray.Count; i++)
                {
                    Compare(wantArray[i], gotArray[i], $"{path}[{i}]", differences);
                }
                return;
            case JsonValue wantValue when got is JsonValue gotValue:
                if (!SameValue(wantValue, gotValue))
                {
                    differences.Add($"{path}: reference {Text(wantValue)}, ours {Text(gotValue)}");
                }
                return;
            default:
                differences.Add($"{path}: reference {Text(want)}, ours {Text(got)}");
                return;
        }
    }

    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Text(JsonNode? node) => node?.ToJsonString(Readable) ?? "null";

    /// <summary>Numbers compare by value (the reference writes 8.0 where we may write 8); everything else by JSON text.</summary>
    private static bool SameValue(JsonValue want, JsonValue got)
    {
        if (want.GetValueKind() == JsonValueKind.Number && got.GetValueKind() == JsonValueKind.Number)
        {
            return decimal.Parse(want.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
                == decimal.Parse(got.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return want.ToJsonString() == got.ToJsonString();
    }

}
