using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Clip;

public sealed class ClipTokenizerTests
{
    private static List<int> Ids(string text) => ClipBpeTokenizer.Default.Encode(text);

    [Fact]
    public void Readme_check_a_photo_of_a_cat() =>
        Assert.Equal([320, 1125, 539, 320, 2368], Ids("a photo of a cat"));

    [Fact]
    public void Decomposed_accents_are_composed_before_bpe() =>
        Assert.Equal(Ids("caf\u00e9"), Ids("cafe\u0301"));

    [Fact]
    public void Case_whitespace_and_control_characters_do_not_matter() =>
        Assert.Equal(Ids("a photo of a cat"), Ids("  A\tPHOTO\u0007 of\u00a0a\r\n cat \u200b"));

    [Fact]
    public void Cjk_ideographs_are_separate_words() =>
        Assert.Equal(Ids("東 京"), Ids("東京"));

    [Fact]
    public void Literal_special_tokens_map_to_their_ids() =>
        Assert.Equal([ClipBpeTokenizer.StartToken, 2368, ClipBpeTokenizer.EndToken], Ids("<|startoftext|>cat<|endoftext|>"));

    [Theory]
    [InlineData("1.2", 1.2)]
    [InlineData(" 0.5 ", 0.5)]
    [InlineData("1e1", 10.0)]
    [InlineData("-2", -2.0)]
    [InlineData("1_0", 10.0)]
    [InlineData(".5", 0.5)]
    public void Python_float_parsing_accepts(string text, double expected)
    {
        Assert.True(PromptWeighting.TryParsePythonFloat(text, out double value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1,5")]
    [InlineData("--1")]
    [InlineData("_1")]
    [InlineData("0x10")]
    public void Python_float_parsing_rejects(string text) => Assert.False(PromptWeighting.TryParsePythonFloat(text, out _));

    [Fact]
    public void Weighting_handles_nesting_escapes_and_stray_parentheses()
    {
        Assert.Equal([("a ", 1.0), ("b", 1.1 * 1.1), (" c", 1.0)], PromptWeighting.Parse("a ((b)) c"));
        Assert.Equal([("x ", 0.8), ("y", 2.0)], PromptWeighting.Parse("(x (y:2):0.8)"));
        Assert.Equal([("(x) [y]", 1.0)], PromptWeighting.Parse("\\(x\\) [y]"));
        Assert.Equal([("a) (b", 1.0)], PromptWeighting.Parse("a) (b"));
    }

    [Fact]
    public void A_short_group_that_does_not_fit_moves_and_a_long_one_splits()
    {
        string filler = string.Join(", ", Enumerable.Repeat("cat", 37)); // 73 tokens
        TokenizedPrompt moved = ClipPromptTokenizer.Sd1.Tokenize(filler + " (red dog cat:1.2)");
        Assert.Equal(2, moved.Chunks.Count);
        Assert.Equal(ClipBpeTokenizer.EndToken, moved.Chunks[0][74].Id);
        Assert.Equal(1.2, moved.Chunks[1][1].Weight);

        string longGroup = string.Join(" ", Enumerable.Repeat("dog", 10));
        TokenizedPrompt split = ClipPromptTokenizer.Sd1.Tokenize(filler + $" ({longGroup}:1.2)");
        Assert.Equal(1.2, split.Chunks[0][74].Weight);
        Assert.Equal(1.2, split.Chunks[0][75].Weight);
        Assert.Equal(ClipBpeTokenizer.EndToken, split.Chunks[0][76].Id);
        Assert.All(split.Chunks, c => Assert.Equal(77, c.Count));
    }

    [Fact]
    public void Embeddings_from_the_folder_are_injected_with_their_own_group()
    {
        string root = TestPaths.NewTempDirectory("embeddings");
        try
        {
            var folders = new ModelFolders(new ComfyDirectories(root));
            string dir = Path.Combine(root, "models", "embeddings");
            Directory.CreateDirectory(dir);
            using var scope = NewDisposeScope();
            Tensor vectors = arange(2 * 768, ScalarType.Float32).reshape(2, 768) / 10000;
            SafeTensorsWriter.Write(Path.Combine(dir, "style.safetensors"), [KeyValuePair.Create("emb_params", vectors)]);
            var source = new FolderTextualInversionSource(folders);

            TokenizedPrompt tokens = ClipPromptTokenizer.Sd1.Tokenize("a embedding:style, cat", source);
            Assert.Empty(tokens.Warnings);
            ClipToken[] chunk = [.. tokens.Chunks[0]];
            Assert.Equal([ClipBpeTokenizer.StartToken, 320, ClipToken.EmbeddingId, ClipToken.EmbeddingId, 267, 2368, ClipBpeTokenizer.EndToken], chunk.Take(7).Select(t => t.Id));
            Assert.Equal([0, 1, 2, 2, 3, 3, 0], chunk.Take(7).Select(t => t.WordId));
            Assert.Equal(vectors[1].data<float>().ToArray(), chunk[3].Embedding);

            Assert.Null(source.TryLoad("../../outside"));
            TokenizedPrompt missing = ClipPromptTokenizer.Sd1.Tokenize("embedding:nothing", source);
            Assert.Equal(["warning, embedding:nothing does not exist, ignoring"], missing.Warnings);

            // The injected vectors reach the encoder: the result differs from the prompt without the embedding.
            (Tensor with, _) = RandomClip.Model.EncodeTokens(tokens);
            (Tensor without, _) = RandomClip.Model.EncodeTokens(ClipPromptTokenizer.Sd1.Tokenize("a , cat"));
            Assert.True(TensorAssert.MaxRelativeError(without, with) > 1e-3);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Lora_patches_are_computed_in_float32_and_rounded_to_fp16_without_touching_the_shared_weights()
    {
        using var scope = NewDisposeScope();
        ClipModel clip = RandomClip.Model;
        const string Key = "encoder.layers.0.mlp.fc1.weight";
        Tensor before = clip.Encoder.GetStoredWeight(Key).clone();
        TokenizedPrompt tokens = clip.Tokenize("a photo of a cat");
        (Tensor plain, _) = clip.EncodeTokens(tokens);
        ClipModel patched = clip.WithPatches([new WeightPatch(Key, 0.5, w => ones_like(w) * 1e-3)]);
        (Tensor changed, _) = patched.EncodeTokens(tokens);
        Assert.True(TensorAssert.MaxRelativeError(plain, changed) > 1e-5);
        TensorAssert.Identical(before, clip.Encoder.GetStoredWeight(Key));
        (Tensor again, _) = clip.EncodeTokens(tokens);
        TensorAssert.Identical(plain, again);
        Assert.Empty(clip.Patches);
        Assert.Single(patched.Patches);
    }
}

public sealed class UnicodeNfcTests
{
    [Theory]
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]
    [InlineData("\uAC00\u11A8", "\uAC01")]
    [InlineData("e\u0323\u0302", "\u1EC7")]
    [InlineData("e\u0302\u0323", "\u1EC7")]
    [InlineData("\u212B", "\u00C5")]
    [InlineData("\u0344", "\u0308\u0301")]
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]
    [InlineData("plain ascii", "plain ascii")]
    public void Matches_python_unicodedata(string input, string expected) =>
        Assert.Equal(expected, UnicodeNfc.Normalize(input));
}
