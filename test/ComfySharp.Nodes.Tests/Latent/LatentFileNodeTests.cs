using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Tests.Image;
using ComfySharp.TestKit;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Latent;

/// <summary>SaveLatent and LoadLatent: the <c>.latent</c> file layout, read back by hand, and the round trip.</summary>
public sealed class LatentFileNodeTests
{
    private static readonly float[] Values = [0.5f, -1.25f, 3f, 0f, 7.75f, -0.125f, 2f, 1f];

    // An independent reader: the 8-byte length, the JSON header, the data section.
    private static (JsonObject Header, byte[] Data) ReadSafetensors(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!.AsObject();
        return (header, bytes[(8 + (int)headerLength)..]);
    }

    // An independent writer of a safetensors file holding float32 tensors.
    private static void WriteSafetensors(string path, params (string Key, float[] Data, long[] Shape)[] tensors)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var (key, data, shape) in tensors)
        {
            header[key] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(s => (JsonNode?)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + (data.Length * 4)),
            };
            offset += data.Length * 4;
        }
        byte[] text = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, text.Length);
        stream.Write(length);
        stream.Write(text);
        Span<byte> four = stackalloc byte[4];
        foreach (var (_, data, _) in tensors)
        {
            foreach (float value in data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, value);
                stream.Write(four);
            }
        }
    }

    [Fact]
    public async Task SaveLatent_writes_the_tensor_the_marker_and_the_workflow()
    {
        using var context = new ImagingTestContext { PngInfo = new JsonObject { ["workflow"] = new JsonObject { ["nodes"] = new JsonArray() } } };
        using var samples = tensor(Values, [1L, 2, 2, 2]);
        var output = await new SaveLatent().ExecuteAsync(new NodeInputs(new Dictionary<string, object?>
        {
            ["samples"] = new LatentValue(samples),
            ["filename_prefix"] = "latents/run",
        }), context);

        var entry = output.Ui!["latents"]![0]!;
        Assert.Equal("run_00001_.latent", (string?)entry["filename"]);
        Assert.Equal("latents", (string?)entry["subfolder"]);
        Assert.Equal("output", (string?)entry["type"]);
        var (header, data) = ReadSafetensors(Path.Combine(context.Directories.Output, "latents", "run_00001_.latent"));
        Assert.Equal("F32", (string?)header["latent_tensor"]!["dtype"]);
        Assert.Equal("[1,2,2,2]", header["latent_tensor"]!["shape"]!.ToJsonString());
        Assert.Equal("[0]", header["latent_format_version_0"]!["shape"]!.ToJsonString());
        long begin = (long)header["latent_tensor"]!["data_offsets"]![0]!;
        float[] stored = Enumerable.Range(0, 8).Select(i => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan((int)begin + (i * 4)))).ToArray();
        Assert.Equal(Values, stored);
        var metadata = header["__metadata__"]!.AsObject();
        Assert.Equal("""{"nodes": []}""", (string?)metadata["workflow"]);
        Assert.StartsWith("""{"1": {"class_type": "SaveImage", """, (string?)metadata["prompt"], StringComparison.Ordinal);

        // The counter continues with the next file.
        var second = await new SaveLatent().ExecuteAsync(new NodeInputs(new Dictionary<string, object?>
        {
            ["samples"] = new LatentValue(samples),
            ["filename_prefix"] = "latents/run",
        }), context);
        Assert.Equal("run_00002_.latent", (string?)second.Ui!["latents"]![0]!["filename"]);
    }

    [Fact]
    public async Task SaveLatent_refuses_a_prefix_outside_the_output_folder()
    {
        using var context = new ImagingTestContext();
        using var samples = tensor(Values, [1L, 2, 2, 2]);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await new SaveLatent().ExecuteAsync(new NodeInputs(new Dictionary<string, object?>
        {
            ["samples"] = new LatentValue(samples),
            ["filename_prefix"] = "../../escape",
        }), context));
        Assert.Contains("outside the output folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadLatent_reads_a_marked_file_as_stored_and_an_unmarked_one_divided_by_0_18215()
    {
        using var context = new ImagingTestContext();
        WriteSafetensors(Path.Combine(context.Directories.Input, "new.latent"),
            ("latent_tensor", Values, [1L, 2, 2, 2]), ("latent_format_version_0", [], [0L]));
        WriteSafetensors(Path.Combine(context.Directories.Input, "old.latent"), ("latent_tensor", Values, [1L, 2, 2, 2]));

        var marked = (LatentValue)context.Run(new LoadLatent(), (LoadLatent.File, "new.latent")).Values[0]!;
        Assert.Equal(new long[] { 1, 2, 2, 2 }, marked.Samples.shape);
        T.Equal(Values, marked.Samples);

        var legacy = (LatentValue)context.Run(new LoadLatent(), (LoadLatent.File, "old.latent")).Values[0]!;
        T.Equal(Values.Select(v => (float)(v * (1.0 / 0.18215))).ToArray(), legacy.Samples, 1e-6f);
    }

    [Fact]
    public async Task Saved_latent_loads_back_unchanged()
    {
        using var context = new ImagingTestContext();
        using var samples = tensor(Values, [2L, 1, 2, 2]);
        var output = await new SaveLatent().ExecuteAsync(new NodeInputs(new Dictionary<string, object?>
        {
            ["samples"] = new LatentValue(samples),
            ["filename_prefix"] = "trip",
        }), context);
        string file = (string)output.Ui!["latents"]![0]!["filename"]!;
        var loaded = (LatentValue)context.Run(new LoadLatent(), (LoadLatent.File, file + " [output]")).Values[0]!;
        Assert.Equal(new long[] { 2, 1, 2, 2 }, loaded.Samples.shape);
        T.Equal(Values, loaded.Samples);
    }

    [Fact]
    public void LoadLatent_lists_only_latent_files_of_the_input_folder_sorted()
    {
        using var context = new ImagingTestContext();
        foreach (string name in new[] { "b.latent", "a.latent", "c.png", "d.latent.txt" })
        {
            File.WriteAllBytes(Path.Combine(context.Directories.Input, name), [1]);
        }
        Directory.CreateDirectory(Path.Combine(context.Directories.Input, "sub"));
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "sub", "e.latent"), [1]);
        Assert.Equal(["a.latent", "b.latent"], LoadLatent.File.GetOptions(context));
    }

    [Fact]
    public async Task Bad_latent_files_give_clear_errors()
    {
        using var context = new ImagingTestContext();
        var validate = (string name) => new LoadLatent().ValidateInputsAsync(new NodeInputs(new Dictionary<string, object?> { ["latent"] = name }),
            new Dictionary<string, string>(), context);

        Assert.Equal(ValidationResult.Fail("Invalid latent file: missing.latent"), await validate("missing.latent"));
        File.WriteAllBytes(Path.Combine(context.Root, "outside.latent"), [1, 2, 3]);
        Assert.False((await validate("../outside.latent")).IsValid);
        Assert.Null(LatentFiles.Resolve(context, "../outside.latent"));

        // A PNG renamed to .latent, a truncated file and a safetensors file without latent_tensor.
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "image.latent"), Torch.Images.PngFile.Encode(new Torch.Images.PixelBuffer(1, 1, 3, [1, 2, 3]), 4));
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "short.latent"), [1, 2, 3]);
        WriteSafetensors(Path.Combine(context.Directories.Input, "other.latent"), ("weights", Values, [8L]));
        foreach (string name in new[] { "image.latent", "short.latent", "other.latent" })
        {
            Exception error = Assert.ThrowsAny<Exception>(() => context.Run(new LoadLatent(), (LoadLatent.File, name)));
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
        Assert.Throws<FileNotFoundException>(() => context.Run(new LoadLatent(), (LoadLatent.File, "missing.latent")));
    }

    [Fact]
    public async Task A_latent_file_round_trips_through_the_server()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        Directory.CreateDirectory(server.Directories.Input);
        WriteSafetensors(Path.Combine(server.Directories.Input, "given.latent"),
            ("latent_tensor", Values, [1L, 2, 2, 2]), ("latent_format_version_0", [], [0L]));
        var info = await server.GetJsonAsync("object_info/LoadLatent");
        Assert.Equal("""[["given.latent"]]""", info!["LoadLatent"]!["input"]!["required"]!["latent"]!.ToJsonString());

        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "LoadLatent", ["inputs"] = new JsonObject { ["latent"] = "given.latent" } },
            ["2"] = new JsonObject { ["class_type"] = "SaveLatent", ["inputs"] = new JsonObject { ["samples"] = new JsonArray("1", 0), ["filename_prefix"] = "latents/copy" } },
        };
        using var queued = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId });
        var body = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, body?.ToJsonString());
        string promptId = (string)body!["prompt_id"]!;
        await socket.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(60));
        var history = (await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
        Assert.Equal("success", (string?)history["status"]!["status_str"]);
        Assert.Equal("copy_00001_.latent", (string?)history["outputs"]!["2"]!["latents"]![0]!["filename"]);

        var (header, data) = ReadSafetensors(Path.Combine(server.Directories.Output, "latents", "copy_00001_.latent"));
        long begin = (long)header["latent_tensor"]!["data_offsets"]![0]!;
        float[] stored = Enumerable.Range(0, 8).Select(i => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan((int)begin + (i * 4)))).ToArray();
        Assert.Equal(Values, stored);

        // A missing file is a validation error (400), not a crash.
        var bad = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "LoadLatent", ["inputs"] = new JsonObject { ["latent"] = "nope.latent" } },
            ["2"] = new JsonObject { ["class_type"] = "SaveLatent", ["inputs"] = new JsonObject { ["samples"] = new JsonArray("1", 0), ["filename_prefix"] = "x" } },
        };
        using var rejected = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = bad });
        Assert.Equal(400, (int)rejected.StatusCode);
        Assert.Contains("Invalid latent file: nope.latent", (await ComfyTestServer.ReadJsonAsync(rejected))!.ToJsonString(), StringComparison.Ordinal);
    }
}
