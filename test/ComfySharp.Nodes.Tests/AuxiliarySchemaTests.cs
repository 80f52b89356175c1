using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Schema;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Nodes.Tests;

/// <summary>The /object_info entries of the auxiliary-model nodes equal the reference catalogue's (prose aside).</summary>
public sealed class AuxiliarySchemaTests
{
    private static readonly Lazy<JsonObject> Reference = new(() => (JsonObject)JsonNode.Parse(File.ReadAllText(
        Path.Combine(TestPaths.Shared, "spec", "samples", "object_info_reference_0.8.0.json")))!);

    private static NodeRegistry Registry()
    {
        var registry = new NodeRegistry();
        ComfySharp.Nodes.Upscaling.UpscalingNodes.Register(registry);
        ComfySharp.Nodes.ControlNet.ControlNetNodes.Register(registry);
        ComfySharp.Nodes.ClipVision.ClipVisionNodes.Register(registry);
        return registry;
    }

    public static TheoryData<string> ClassTypes()
    {
        var data = new TheoryData<string>();
        foreach (var registration in Registry().All)
        {
            data.Add(registration.Schema.ClassType);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ClassTypes))]
    public void Entry_equals_the_reference(string classType)
    {
        string root = TestPaths.NewTempDirectory("schema");
        try
        {
            var services = new ModelNodeTestContext(root);
            Assert.True(Registry().TryGet(classType, out var registration));
            Assert.Equal(classType, registration.NodeType.Name);
            JsonObject ours = ObjectInfo.Definition(registration.Schema, services);
            JsonNode theirs = Reference.Value[classType]!.DeepClone();
            Assert.Equal(Normalise(theirs), Normalise(ours.DeepClone()));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Sorted keys; description and tooltips dropped (our prose is our own).</summary>
    private static string Normalise(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.Where(kv => kv.Key is not ("description" or "tooltip" or "output_tooltips"))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"\"{kv.Key}\":{Normalise(kv.Value)}")) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Normalise)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
