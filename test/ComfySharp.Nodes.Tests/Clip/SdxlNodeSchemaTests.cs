using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Schema;
using ComfySharp.Nodes.Clip;
using ComfySharp.Nodes.ModelSampling;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Nodes.Tests.Clip;

/// <summary>The SDXL/SD2 nodes' /object_info entries equal the reference's (prose aside: descriptions and tooltips).</summary>
public sealed class SdxlNodeSchemaTests
{
    private static readonly JsonObject Reference = (JsonObject)JsonNode.Parse(File.ReadAllText(
        Path.Combine(TestPaths.Shared, "spec", "samples", "object_info_reference_0.8.0.json")))!;

    public static TheoryData<string> Classes => new(
        "CLIPTextEncodeSDXL", "CLIPTextEncodeSDXLRefiner", "DualCLIPLoader",
        "ModelSamplingDiscrete", "ModelSamplingContinuousEDM", "ModelSamplingContinuousV");

    [Theory]
    [MemberData(nameof(Classes))]
    public void Entry_equals_the_reference(string classType)
    {
        var registry = new NodeRegistry();
        ClipNodes.Register(registry);
        ModelSamplingNodes.Register(registry);
        using var services = new EmptyServices();
        JsonObject ours = ObjectInfo.BuildOne(registry, classType, services)[classType]!.AsObject();
        JsonObject reference = Reference[classType]!.AsObject();
        string want = Normalize(reference.DeepClone())!.ToJsonString();
        string got = Normalize(ours.DeepClone())!.ToJsonString();
        Assert.Equal(want, got);
    }

    /// <summary>Drops prose and sorts object keys so only the interface is compared.</summary>
    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var sorted = new JsonObject();
                foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
                {
                    if (key is "description" or "tooltip" or "output_tooltips")
                    {
                        continue;
                    }
                    sorted[key] = Normalize(value?.DeepClone());
                }
                return sorted;
            case JsonArray a:
                return new JsonArray([.. a.Select(v => Normalize(v?.DeepClone()))]);
            default:
                return node;
        }
    }

    private sealed class EmptyServices : IServiceProvider, IDisposable
    {
        public object? GetService(Type serviceType) => null;

        public void Dispose()
        {
        }
    }
}
