using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Engine.Schema;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Docs;

/// <summary>
/// The worked examples of docs/adding-a-node.md and docs/adding-a-sampler.md are these files, to the letter (so the
/// guides always show code that compiles), and they do what the guides say when run.
/// </summary>
public sealed class DocsWalkthroughTests
{
    private static readonly string Docs = Path.Combine(TestPaths.RepositoryRoot, "docs");
    private static readonly string Here = Path.Combine(TestPaths.RepositoryRoot, "test", "ComfySharp.Nodes.Tests", "Docs");

    [Theory]
    [InlineData("adding-a-node.md", "ImageGainExample.cs")]
    [InlineData("adding-a-sampler.md", "EulerExampleSampler.cs")]
    public void The_guide_shows_the_compiled_example_to_the_letter(string guide, string file)
    {
        string text = File.ReadAllText(Path.Combine(Docs, guide)).ReplaceLineEndings("\n");
        const string Fence = "```csharp\n";
        int start = text.IndexOf(Fence, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{guide} has no ```csharp block");
        start += Fence.Length;
        int end = text.IndexOf("```", start, StringComparison.Ordinal);
        string shown = text[start..end];
        Assert.Equal(File.ReadAllText(Path.Combine(Here, file)).ReplaceLineEndings("\n"), shown);
    }

    [Fact]
    public async Task The_example_node_registers_with_its_schema_and_runs()
    {
        var registry = new NodeRegistry();
        registry.Add<ImageGainExample>();
        JsonObject entry = ObjectInfo.BuildOne(registry, "ImageGainExample", TestNodeContext.WithModelFolders(TestPaths.NewTempDirectory("docs")));
        JsonNode gain = entry["ImageGainExample"]!["input"]!["required"]!["gain"]!;
        Assert.Equal("""["FLOAT",{"default":1.0,"min":0.0,"max":10.0,"step":0.01}]""", gain.ToJsonString());
        Assert.Equal("image/postprocessing", (string?)entry["ImageGainExample"]!["category"]);

        using var scope = NewDisposeScope();
        Tensor image = tensor(new float[] { 0f, 0.25f, 0.5f, 0.75f }).view(1, 1, 4, 1);
        var values = new Dictionary<string, object?> { ["image"] = image, ["gain"] = 1.5 };
        NodeOutput output = await new ImageGainExample().ExecuteAsync(new NodeInputs(values), new TestNodeContext());
        var result = (Tensor)output.Values[0]!;
        Assert.Equal(new float[] { 0f, 0.375f, 0.75f, 1f }, result.data<float>().ToArray());
    }

    [Fact]
    public void The_example_sampler_equals_the_built_in_euler_and_reports_every_step()
    {
        using var scope = NewDisposeScope();
        float[] sigmas = [14.6f, 6.1f, 2.2f, 0.8f, 0.03f, 0f];
        static Tensor Denoiser(Tensor x, Tensor sigma) => x.Mul(0.5).Add(0.1);
        Tensor start = tensor(new float[] { -3f, -1f, 0.5f, 2f, 7f, 9f }).view(1, 1, 2, 3);
        var reported = new List<int>();
        var example = new SamplerContext(Denoiser, ModelSamplingDiscrete.Epsilon, 1) { Callback = step => reported.Add(step.Index) };
        Tensor ours = EulerExampleSampler.Sample(example, start, sigmas);
        Tensor builtIn = KDiffusionSamplers.Euler(new SamplerContext(Denoiser, ModelSamplingDiscrete.Epsilon, 1), start, sigmas);
        Assert.True(ours.eq(builtIn).all().item<bool>(), "the example differs from KDiffusionSamplers.Euler");
        Assert.Equal([0, 1, 2, 3, 4], reported);
    }
}
