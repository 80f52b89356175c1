using ComfySharp.Diffusion.Clip;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Clip;

/// <summary>One CLIP model from the random checkpoint's tensors, built in memory once per test run.</summary>
internal static class RandomClip
{
    private static readonly Lazy<ClipModel> Shared = new(() =>
    {
        using var scope = NewDisposeScope();
        return ClipModel.FromWeights(RandomSd15Checkpoint.CreateTensors(Sd15KeyLayout.ClipPrefix));
    });

    public static ClipModel Model => Shared.Value;
}

public sealed class ClipEncoderGoldenTests
{
    private const double Tolerance = 1e-4;
    private static readonly string Folder = Path.Combine(TestPaths.Shared, "golden", "sd15", "02_clip_encode");

    public static TheoryData<string, string, int?> Cases => new()
    {
        { "default_positive", "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,", null },
        { "default_negative", "text, watermark", null },
        { "weighted", "(red:1.3) cat, ((blue)) sky, [dog], (a (b:1.5) c:0.8)", null },
        { "long_2_chunks", "A highly detailed digital painting of an ancient castle on a cliff above a stormy sea, dramatic lighting, volumetric clouds, crashing waves, seagulls flying, moss covered stone walls, tall towers with red banners, a winding path leading to the gate, lanterns glowing in the windows, cinematic composition, wide angle, golden hour, trending on artstation, sharp focus, intricate details, 8k resolution, masterpiece, by a famous fantasy illustrator", null },
        { "empty", "", null },
        { "default_positive_clip_skip_2", "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,", -2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cond_and_pooled_match_the_reference(string name, string text, int? layer)
    {
        using var scope = NewDisposeScope();
        ClipModel clip = layer is null ? RandomClip.Model : RandomClip.Model.WithLayer(layer);
        (Tensor cond, Tensor pooled) = clip.EncodeTokens(clip.Tokenize(text));
        using SafeTensorsFile golden = SafeTensorsFile.Open(Path.Combine(Folder, name + ".safetensors"));
        Tensor expectedCond = golden.Load("cond");
        Tensor expectedPooled = golden.Load("pooled_output");
        Assert.Equal(ScalarType.Float32, cond.dtype);
        Assert.InRange(TensorAssert.MaxRelativeError(expectedCond, cond), 0, Tolerance);
        Assert.InRange(TensorAssert.MaxRelativeError(expectedPooled, pooled), 0, Tolerance);
    }

    [Fact]
    public void Weighted_prompt_without_weights_matches_cond_unweighted_and_differs_from_weighted()
    {
        using var scope = NewDisposeScope();
        ClipModel clip = RandomClip.Model;
        TokenizedPrompt tokens = clip.Tokenize("(red:1.3) cat, ((blue)) sky, [dog], (a (b:1.5) c:0.8)");
        var unweighted = new TokenizedPrompt([.. tokens.Chunks.Select(c => (IReadOnlyList<ClipToken>)[.. c.Select(t => t with { Weight = 1.0 })])], []);
        (Tensor cond, _) = clip.EncodeTokens(unweighted);
        using SafeTensorsFile golden = SafeTensorsFile.Open(Path.Combine(Folder, "weighted.safetensors"));
        Assert.InRange(TensorAssert.MaxRelativeError(golden.Load("cond_unweighted"), cond), 0, Tolerance);
        Assert.True(TensorAssert.MaxRelativeError(golden.Load("cond"), cond) > 1e-2);
    }

    [Fact]
    public void Clip_skip_changes_cond_but_not_pooled()
    {
        using var scope = NewDisposeScope();
        TokenizedPrompt tokens = RandomClip.Model.Tokenize("a photo of a cat");
        (Tensor last, Tensor pooledLast) = RandomClip.Model.EncodeTokens(tokens);
        (Tensor skip, Tensor pooledSkip) = RandomClip.Model.WithLayer(-2).EncodeTokens(tokens);
        (Tensor minusOne, _) = RandomClip.Model.WithLayer(-1).EncodeTokens(tokens);
        Assert.True(TensorAssert.MaxRelativeError(last, skip) > 1e-3);
        TensorAssert.Identical(pooledLast, pooledSkip);
        Assert.InRange(TensorAssert.MaxRelativeError(last, minusOne), 0, 1e-6);
    }

    [Fact]
    public void Loading_from_the_checkpoint_file_is_strict_and_equals_the_in_memory_model()
    {
        using var scope = NewDisposeScope();
        using SafeTensorsFile file = SafeTensorsFile.Open(RandomSd15Checkpoint.EnsureFile());
        ClipModel clip = ClipModel.FromCheckpoint(file);
        Assert.Equal(ScalarType.Float16, clip.Encoder.GetStoredWeight("encoder.layers.11.mlp.fc2.weight").dtype);
        Assert.Equal(197, clip.Encoder.StateKeys.Count);
        (Tensor cond, Tensor pooled) = clip.EncodeTokens(clip.Tokenize("text, watermark"));
        using SafeTensorsFile golden = SafeTensorsFile.Open(Path.Combine(Folder, "default_negative.safetensors"));
        Assert.InRange(TensorAssert.MaxRelativeError(golden.Load("cond"), cond), 0, Tolerance);
        Assert.InRange(TensorAssert.MaxRelativeError(golden.Load("pooled_output"), pooled), 0, Tolerance);
    }

    [Fact]
    public void Missing_or_unexpected_keys_are_errors()
    {
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> weights = RandomSd15Checkpoint.CreateTensors(Sd15KeyLayout.ClipPrefix);
        weights.Remove("encoder.layers.3.mlp.fc1.bias");
        var e = Assert.Throws<InvalidOperationException>(() => ClipModel.FromWeights(weights));
        Assert.Contains("encoder.layers.3.mlp.fc1.bias", e.Message);

        weights = RandomSd15Checkpoint.CreateTensors(Sd15KeyLayout.ClipPrefix);
        weights["text_projection.weight"] = zeros(768, 768);
        e = Assert.Throws<InvalidOperationException>(() => ClipModel.FromWeights(weights));
        Assert.Contains("text_projection.weight", e.Message);
    }
}
