using System.Text.Json;
using ComfySharp.Diffusion.Clip;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Clip;

public sealed class ClipTokenizerGoldenTests
{
    private static readonly JsonElement[] Prompts = LoadPrompts();

    private static JsonElement[] LoadPrompts()
    {
        string path = Path.Combine(TestPaths.Shared, "golden", "sd15", "01_tokenize", "tokens.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return [.. doc.RootElement.GetProperty("prompts").EnumerateArray().Select(e => e.Clone())];
    }

    public static TheoryData<string> PromptNames => new(Prompts.Select(p => p.GetProperty("name").GetString()!));

    [Fact]
    public void Golden_has_sixteen_prompts() => Assert.Equal(16, Prompts.Length);

    [Theory]
    [MemberData(nameof(PromptNames))]
    public void Tokens_weights_word_ids_and_warnings_match_the_reference_exactly(string name)
    {
        JsonElement golden = Prompts.Single(p => p.GetProperty("name").GetString() == name);
        TokenizedPrompt actual = ClipPromptTokenizer.Sd1.Tokenize(golden.GetProperty("text").GetString()!);

        int[][] tokens = Read(golden.GetProperty("tokens"), e => e.GetInt32());
        double[][] weights = Read(golden.GetProperty("weights"), e => e.GetDouble());
        int[][] wordIds = Read(golden.GetProperty("word_ids"), e => e.GetInt32());
        Assert.Equal(golden.GetProperty("chunks").GetInt32(), actual.Chunks.Count);
        for (int c = 0; c < tokens.Length; c++)
        {
            Assert.Equal(tokens[c], actual.Chunks[c].Select(t => t.Id));
            Assert.Equal(weights[c], actual.Chunks[c].Select(t => t.Weight));
            Assert.Equal(wordIds[c], actual.Chunks[c].Select(t => t.WordId));
        }
        Assert.Equal(golden.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()), actual.Warnings);
    }

    private static T[][] Read<T>(JsonElement array, Func<JsonElement, T> read) =>
        [.. array.EnumerateArray().Select(chunk => chunk.EnumerateArray().Select(read).ToArray())];
}
