using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;

namespace ComfySharp.Benchmarks.Engine;

/// <summary>
/// The engine's share of LoadGen's <c>chain100</c> with a client listening: validate + execute a 100-node chain
/// of trivial nodes with a sink that has recipients, so every <c>progress_state</c> snapshot (n²/2 entries per
/// prompt) is built; cold (every node runs) and fully cached. No tensors and no socket: only the engine's cost.
/// Run: dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*ListeningChainBenchmarks*' --inProcess --job short
/// </summary>
public class ListeningChainBenchmarks : ExecutorBenchmarks
{
    /// <summary>A sink with a listener that drops what it gets: the pre-serialised bytes are built, never parsed.</summary>
    private sealed class ListeningSink : IExecutionMessageSink
    {
        public long Bytes { get; private set; }

        public void Send(string type, JsonObject data, MessageTarget target, string? clientId) { }
        public void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId) => Bytes += envelope.Length;
        public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId) { }
        public void SendText(string nodeId, string text) { }
        public bool HasRecipients(MessageTarget target, string? clientId) => true;
    }

    private readonly ListeningSink _sink = new();
    private JsonObject _chain = [];

    /// <summary>Nodes in the chain (the constant, the adders and the output).</summary>
    [Params(100)]
    public int Nodes { get; set; } = 100;

    /// <inheritdoc />
    protected override JsonObject Graph => _chain;

    /// <inheritdoc />
    protected override IExecutionMessageSink Sink => _sink;

    /// <summary>Builds the graph and fills the cache of the cached executor.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _chain = EngineBenchmarks.Chain(Nodes - 1);
        PrepareExecutors();
    }
}
