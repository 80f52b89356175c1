using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Nodes.Clip;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Clip;

/// <summary>A models folder with the random checkpoint's CLIP-L saved as a standalone text encoder (text_model.* keys).</summary>
public sealed class ClipFolderFixture : IDisposable
{
    public const string FileName = "clip_l.safetensors";

    public ClipFolderFixture()
    {
        Root = TestPaths.NewTempDirectory("clip-nodes");
        string dir = Path.Combine(Root, "models", "text_encoders");
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> weights = RandomSd15Checkpoint.CreateTensors(Sd15KeyLayout.ClipPrefix);
        SafeTensorsWriter.Write(Path.Combine(dir, FileName), weights.Select(kv => KeyValuePair.Create("text_model." + kv.Key, kv.Value)));
    }

    public string Root { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public sealed class ClipNodeTests(ClipFolderFixture fixture) : IClassFixture<ClipFolderFixture>
{
    private static readonly string Golden = Path.Combine(TestPaths.Shared, "golden", "sd15", "02_clip_encode");
    private const string Positive = "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,";

    private ModelNodeTestContext Context => new(fixture.Root);

    private async Task<ClipModel> LoadClipAsync()
    {
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["clip_name"] = ClipFolderFixture.FileName, ["type"] = "stable_diffusion" });
        NodeOutput output = await new CLIPLoader().ExecuteAsync(inputs, Context);
        return Assert.IsType<ClipModel>(output.Values[0]);
    }

    private async Task<Diffusion.Conditioning> EncodeAsync(ClipModel clip, string text)
    {
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["text"] = text, ["clip"] = clip });
        NodeOutput output = await new CLIPTextEncode().ExecuteAsync(inputs, Context);
        return Assert.IsType<Diffusion.Conditioning>(output.Values[0]);
    }

    private static void AssertMatchesGolden(Diffusion.Conditioning conditioning, string goldenName)
    {
        ConditioningEntry entry = Assert.Single(conditioning);
        Tensor pooled = Assert.IsType<Tensor>(entry.Get("pooled_output"), exactMatch: false);
        using SafeTensorsFile golden = SafeTensorsFile.Open(Path.Combine(Golden, goldenName + ".safetensors"));
        using var scope = NewDisposeScope();
        Assert.InRange(RelativeError(golden.Load("cond"), entry.Embedding), 0, 1e-4);
        Assert.InRange(RelativeError(golden.Load("pooled_output"), pooled), 0, 1e-4);
    }

    private static double RelativeError(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        return (expected - actual).abs().max().item<float>() / (double)expected.abs().max().item<float>();
    }

    [Fact]
    public void Clip_loader_lists_the_text_encoders_folder()
    {
        IReadOnlyList<string> options = CLIPLoader.ClipName.GetOptions(Context);
        Assert.Equal([ClipFolderFixture.FileName], options);
    }

    [Fact]
    public async Task Loader_then_text_encode_matches_the_reference()
    {
        ClipModel clip = await LoadClipAsync();
        AssertMatchesGolden(await EncodeAsync(clip, Positive), "default_positive");
    }

    [Fact]
    public async Task Set_last_layer_minus_two_matches_clip_skip_2_and_leaves_the_input_unchanged()
    {
        ClipModel clip = await LoadClipAsync();
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["clip"] = clip, ["stop_at_clip_layer"] = -2L });
        NodeOutput output = await new CLIPSetLastLayer().ExecuteAsync(inputs, Context);
        ClipModel skipped = Assert.IsType<ClipModel>(output.Values[0]);
        Assert.Equal(-2, skipped.LayerIndex);
        Assert.Null(clip.LayerIndex);
        Assert.Same(clip.Encoder, skipped.Encoder);
        AssertMatchesGolden(await EncodeAsync(skipped, Positive), "default_positive_clip_skip_2");
    }

    [Fact]
    public async Task Set_last_layer_beyond_the_depth_means_the_last_layer()
    {
        ClipModel clip = await LoadClipAsync();
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["clip"] = clip, ["stop_at_clip_layer"] = -24L });
        NodeOutput output = await new CLIPSetLastLayer().ExecuteAsync(inputs, Context);
        Assert.Null(Assert.IsType<ClipModel>(output.Values[0]).LayerIndex);
    }

    [Fact]
    public async Task Text_encode_with_a_null_clip_raises_the_reference_error()
    {
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["text"] = "x", ["clip"] = null });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await new CLIPTextEncode().ExecuteAsync(inputs, Context));
        Assert.StartsWith("ERROR: clip input is invalid: None", e.Message);
    }

    [Fact]
    public async Task Loader_reports_a_missing_file_and_refuses_other_families()
    {
        var missing = new NodeInputs(new Dictionary<string, object?> { ["clip_name"] = "nope.safetensors", ["type"] = "stable_diffusion" });
        var e = await Assert.ThrowsAsync<FileNotFoundException>(async () => await new CLIPLoader().ExecuteAsync(missing, Context));
        Assert.Equal("Model in folder 'text_encoders' with filename 'nope.safetensors' not found.", e.Message);
        var sd3 = new NodeInputs(new Dictionary<string, object?> { ["clip_name"] = ClipFolderFixture.FileName, ["type"] = "sd3" });
        await Assert.ThrowsAsync<NotSupportedException>(async () => await new CLIPLoader().ExecuteAsync(sd3, Context));
    }

    [Fact]
    public void Schemas_follow_the_spec()
    {
        NodeSchema encode = new CLIPTextEncode().Schema;
        Assert.Equal(["text", "clip"], encode.Required.Select(i => i.Name));
        Assert.Equal("conditioning", encode.Category);
        Assert.Equal(IOTypes.CONDITIONING, Assert.Single(encode.Outputs).Type);
        NodeSchema last = new CLIPSetLastLayer().Schema;
        Assert.Equal(["clip", "stop_at_clip_layer"], last.Required.Select(i => i.Name));
        NodeSchema loader = new CLIPLoader().Schema;
        Assert.Equal("advanced/loaders", loader.Category);
        Assert.Equal(["clip_name", "type"], loader.Required.Select(i => i.Name));
        Assert.Equal(["device"], loader.Optional.Select(i => i.Name));
        Assert.Equal(18, CLIPLoader.Types.Count);
        var registry = new NodeRegistry();
        ClipNodes.Register(registry);
        Assert.True(registry.Contains("CLIPTextEncode") && registry.Contains("CLIPSetLastLayer") && registry.Contains("CLIPLoader"));
    }
}
