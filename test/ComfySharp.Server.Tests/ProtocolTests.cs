using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class ProtocolTests
{
    [Theory]
    [InlineData(3.0, "3.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(-5.5, "-5.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(2.5e-07, "2.5e-07")]
    [InlineData(104857600.0, "104857600.0")]
    public void Floats_are_written_like_Python_repr(double value, string expected) =>
        Assert.Equal(expected, PythonJson.FormatFloat(value));

    [Fact]
    public void Objects_use_Python_separators_and_ascii_escapes()
    {
        var node = new JsonObject { ["a"] = 1, ["b"] = new JsonArray(1.0, "é\u2603", null, true), ["c"] = new JsonObject() };
        Assert.Equal("{\"a\": 1, \"b\": [1.0, \"\\u00e9\\u2603\", null, true], \"c\": {}}", PythonJson.Serialize(node));
    }

    [Theory]
    [InlineData("", "\"\"")]
    [InlineData("plain text, 'quoted' {x}", "\"plain text, 'quoted' {x}\"")]
    [InlineData("\"lead", "\"\\\"lead\"")]
    [InlineData("mid\\dle\tand more", "\"mid\\\\dle\\tand more\"")]
    [InlineData("tail\u0001", "\"tail\\u0001\"")]
    [InlineData("caf\u00e9 ok \u007f~", "\"caf\\u00e9 ok \\u007f~\"")]
    public void Strings_escape_exactly_the_characters_Python_escapes(string value, string expected) =>
        Assert.Equal(expected, PythonJson.Serialize(JsonValue.Create(value)));

    [Fact]
    public void Serialising_to_bytes_equals_the_text_for_small_and_very_large_documents()
    {
        // Large documents span many builder chunks, and one past 64 KiB is not kept for reuse.
        foreach (int items in new[] { 1, 200, 5000 })
        {
            var array = new JsonArray();
            for (int i = 0; i < items; i++)
            {
                array.Add(new JsonObject { ["i"] = i, ["f"] = i / 4.0, ["s"] = $"n\u00e9{i}\"" });
            }
            var doc = new JsonObject { ["items"] = array };
            string text = PythonJson.Serialize(doc);
            Assert.Equal(System.Text.Encoding.ASCII.GetBytes(text), PythonJson.SerializeToUtf8(doc));
            Assert.Equal(text, PythonJson.Serialize(PythonJson.Parse(text)));
        }
        // After a large document, a small one is still written from a clean builder.
        Assert.Equal("{\"a\": 1}", PythonJson.Serialize(new JsonObject { ["a"] = 1 }));
        Assert.Equal("{\"a\": 1}"u8.ToArray(), PythonJson.SerializeToUtf8(new JsonObject { ["a"] = 1 }));
    }

    [Fact]
    public void Parsed_numbers_keep_int_or_float_form()
    {
        JsonNode parsed = PythonJson.Parse("{\"i\": 3, \"f\": 3.0, \"e\": 1e5, \"k\": \"\\u00fc\"}")!;
        Assert.Equal("{\"i\": 3, \"f\": 3.0, \"e\": 100000.0, \"k\": \"\\u00fc\"}", PythonJson.Serialize(parsed));
    }

    [Fact]
    public void Text_frame_matches_the_verified_bytes()
    {
        byte[] frame = BinaryFrames.Text("3", "hello");
        Assert.Equal("00000003000000013368656c6c6f", Convert.ToHexStringLower(frame));
    }

    [Fact]
    public void Preview_frame_type_1_has_format_word_then_image()
    {
        byte[] frame = BinaryFrames.PreviewImage(1, [0xff, 0xd8, 0xff, 0xe0]);
        Assert.Equal("0000000100000001ffd8ffe0", Convert.ToHexStringLower(frame));
    }

    [Fact]
    public void Preview_frame_type_4_carries_metadata_length_and_json()
    {
        JsonObject meta = BinaryFrames.PreviewMetadata("2", "p", "2", null, "2", "image/jpeg");
        byte[] frame = BinaryFrames.PreviewImageWithMetadata(meta, [0xff, 0xd8]);
        Assert.Equal(4u, BinaryFrames.ReadEventType(frame));
        uint length = BinaryFrames.ReadSecondWord(frame);
        string json = System.Text.Encoding.ASCII.GetString(frame, 8, (int)length);
        Assert.Equal("{\"node_id\": \"2\", \"prompt_id\": \"p\", \"display_node_id\": \"2\", \"parent_node_id\": null, \"real_node_id\": \"2\", \"image_type\": \"image/jpeg\"}", json);
        Assert.Equal(new byte[] { 0xff, 0xd8 }, frame[(8 + (int)length)..]);
    }

    [Fact]
    public void Feature_flags_advertise_a_float_only_for_an_explicit_limit()
    {
        Assert.Equal("{\"supports_preview_metadata\": true, \"max_upload_size\": 104857600, \"extension\": {\"manager\": {\"supports_v4\": true}}}",
            PythonJson.Serialize(FeatureFlags.Build(104857600, false)));
        Assert.Contains("\"max_upload_size\": 52428800.0", PythonJson.Serialize(FeatureFlags.Build(52428800, true)), StringComparison.Ordinal);
    }
}
