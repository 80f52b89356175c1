using System.Text.Json;
using ComfySharp.Diffusion.Clip;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Sdxl;

/// <summary>golden sdxl/01_tokenize: both SDXL towers' tokens (bigG pads with 0, CLIP-L with the end token).</summary>
public sealed class SdxlTokenizerGoldenTests
{
    private static readonly JsonElement Root = Load();

    private static JsonElement Load()
    {
        string path = Path.Combine(TestPaths.Shared, "golden", "sdxl", "01_tokenize", "tokens.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    public static TheoryData<string> PromptNames => new(Root.GetProperty("prompts").EnumerateArray().Select(p => p.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(PromptNames))]
    public void Both_towers_match_the_reference_exactly(string name)
    {
        JsonElement golden = Root.GetProperty("prompts").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
        string text = golden.GetProperty("text").GetString()!;
        TokenizedPrompt g = ClipPromptTokenizer.BigG.Tokenize(text);
        TokenizedPrompt l = ClipPromptTokenizer.Sd1.Tokenize(text);
        AssertTower(golden.GetProperty("g"), g);
        AssertTower(golden.GetProperty("l"), l);
        // The reference warns once per tower.
        Assert.Equal(golden.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()), [.. l.Warnings, .. g.Warnings]);
    }

    [Fact]
    public void The_bigG_tower_pads_with_zero_and_the_empty_prompt_is_start_end_zeros()
    {
        TokenizedPrompt empty = ClipPromptTokenizer.BigG.Tokenize("");
        Assert.Equal([49406, 49407, .. Enumerable.Repeat(0, 75)], empty.Chunks.Single().Select(t => t.Id));
        Assert.Equal(0, ClipPromptTokenizer.BigG.PadToken);
        Assert.Equal(ClipBpeTokenizer.EndToken, ClipPromptTokenizer.Sd1.PadToken);
    }

    [Fact]
    public void Sdxl_node_token_lists_pad_the_shorter_tower_with_its_own_empty_chunks()
    {
        foreach (JsonElement golden in Root.GetProperty("clip_text_encode_sdxl").EnumerateArray())
        {
            var g = ClipPromptTokenizer.BigG.Tokenize(golden.GetProperty("text_g").GetString()!).Chunks.ToList();
            var l = ClipPromptTokenizer.Sd1.Tokenize(golden.GetProperty("text_l").GetString()!).Chunks.ToList();
            while (l.Count < g.Count) { l.Add(ClipPromptTokenizer.Sd1.Tokenize("").Chunks[0]); }
            while (g.Count < l.Count) { g.Add(ClipPromptTokenizer.BigG.Tokenize("").Chunks[0]); }
            AssertTower(golden.GetProperty("g"), new TokenizedPrompt(g, []));
            AssertTower(golden.GetProperty("l"), new TokenizedPrompt(l, []));
        }
    }

    private static void AssertTower(JsonElement golden, TokenizedPrompt actual)
    {
        int[][] tokens = Read(golden.GetProperty("tokens"), e => e.GetInt32());
        double[][] weights = Read(golden.GetProperty("weights"), e => e.GetDouble());
        Assert.Equal(golden.GetProperty("chunks").GetInt32(), actual.Chunks.Count);
        for (int c = 0; c < tokens.Length; c++)
        {
            Assert.Equal(tokens[c], actual.Chunks[c].Select(t => t.Id));
            Assert.Equal(weights[c], actual.Chunks[c].Select(t => t.Weight));
        }
        if (golden.TryGetProperty("word_ids", out JsonElement ids))
        {
            int[][] wordIds = Read(ids, e => e.GetInt32());
            for (int c = 0; c < wordIds.Length; c++)
            {
                Assert.Equal(wordIds[c], actual.Chunks[c].Select(t => t.WordId));
            }
        }
    }

    private static T[][] Read<T>(JsonElement array, Func<JsonElement, T> read) =>
        [.. array.EnumerateArray().Select(chunk => chunk.EnumerateArray().Select(read).ToArray())];
}
