using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ComfySharp.Protocol;

namespace ComfySharp.Benchmarks.Protocol;

/// <summary>
/// Cost of encoding what the server sends most: <c>progress_state</c> snapshots (they grow with the
/// nodes started so far), <c>executed</c> messages and binary preview frames.
/// Run: dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*MessageEncoding*'
/// </summary>
[MemoryDiagnoser]
public class MessageEncodingBenchmarks
{
    private JsonObject _progressState = null!;
    private JsonObject _executed = null!;
    private byte[] _jpeg = null!;

    /// <summary>Nodes in the progress_state snapshot.</summary>
    [Params(3, 100)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var nodes = new JsonObject();
        for (int i = 1; i <= Nodes; i++)
        {
            string id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            nodes[id] = new JsonObject
            {
                ["value"] = 1.0, ["max"] = 1.0, ["state"] = "finished", ["node_id"] = id, ["prompt_id"] = "0f7c4bb5-6a3e-4b8e-9d5c-2f1f4e7c9a10",
                ["display_node_id"] = id, ["parent_node_id"] = null, ["real_node_id"] = id,
            };
        }
        _progressState = Messages.Envelope("progress_state", new JsonObject { ["prompt_id"] = "0f7c4bb5-6a3e-4b8e-9d5c-2f1f4e7c9a10", ["nodes"] = nodes });
        _executed = Messages.Envelope("executed", new JsonObject
        {
            ["node"] = "9", ["display_node"] = "9",
            ["output"] = new JsonObject { ["images"] = new JsonArray(new JsonObject { ["filename"] = "ComfyUI_00001_.png", ["subfolder"] = "", ["type"] = "output" }) },
            ["prompt_id"] = "0f7c4bb5-6a3e-4b8e-9d5c-2f1f4e7c9a10",
        });
        _jpeg = new byte[40_000];
        new Random(1).NextBytes(_jpeg);
    }

    [Benchmark]
    public byte[] ProgressState() => PythonJson.SerializeToUtf8(_progressState);

    [Benchmark]
    public byte[] Executed() => PythonJson.SerializeToUtf8(_executed);

    [Benchmark]
    public byte[] PreviewFrame() => BinaryFrames.PreviewImage(1, _jpeg);

    [Benchmark]
    public byte[] PreviewFrameWithMetadata() => BinaryFrames.PreviewImageWithMetadata(
        BinaryFrames.PreviewMetadata("3", "0f7c4bb5-6a3e-4b8e-9d5c-2f1f4e7c9a10", "3", null, "3", "image/jpeg"), _jpeg);
}
