using System.Text.Json.Nodes;
using System.Threading.Channels;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;

namespace ComfySharp.Engine.Execution;

/// <summary>
/// One prompt's execution (EXECUTION.md §5–§13): its state and the run loop. The other parts live in
/// files named after their responsibility: <c>ExecutionRun.Ordering.cs</c> (the execution list and its
/// ordering), <c>ExecutionRun.Signatures.cs</c> (node signatures and cache keys), <c>ExecutionRun.Invocation.cs</c>
/// (input gathering, lazy inputs, lists, expansion, async nodes), <c>ExecutionRun.OutputNormalisation.cs</c>
/// and <c>ExecutionRun.Messages.cs</c> (the run's messages and progress).
/// </summary>
internal sealed partial class ExecutionRun
{
    private enum StepResult { Success, Pending, Failure }

    private sealed record Failure(JsonObject Details, bool Interrupted);

    private readonly NodeRegistry _registry;
    private readonly OutputCache _cache;
    private readonly IExecutionMessageSink _sink;
    private readonly CancellationToken _interrupt;
    private readonly CancellationTokenSource _runCts;
    private readonly Action<(string, string?)?> _setCurrent;
    private readonly Lock _lock = new();
    private bool _closed;
    private readonly string? _clientId;
    private readonly ProgressReporter _progress;
    private readonly JsonArray _statusMessages = [];
    private readonly JsonObject _uiOutputs = [];
    private readonly List<string> _executed = [];
    private readonly HashSet<string> _executedSet = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CacheEntry> _results = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ComfyNode> _probes = new(StringComparer.Ordinal);

    // Scheduling state (EXECUTION.md §5).
    private readonly Dictionary<string, long> _pending = new(StringComparer.Ordinal);
    // Ready nodes ordered by (friendliness rank, sequence): the pick of §5 is always the minimum.
    private readonly SortedSet<(int Rank, long Seq, string Id)> _ready = [];
    private readonly Dictionary<string, int> _blockCount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _blocking = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _blockedBy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _rank = new(StringComparer.Ordinal);
    private long _sequence;
    private int _externalBlocks;
    private readonly Channel<string> _asyncDone = Channel.CreateUnbounded<string>();
    private readonly Dictionary<string, List<object?>> _pendingAsync = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(JsonObject? Graph, IReadOnlyList<object?> Values)>> _pendingSubgraph = new(StringComparer.Ordinal);

    public ExecutionRun(NodeRegistry registry, IServiceProvider services, OutputCache cache, QueuedPrompt prompt, IExecutionMessageSink sink,
        string previewMethod, Action<(string, string?)?> setCurrent, CancellationToken interrupt)
    {
        _registry = registry;
        Services = services;
        _cache = cache;
        Prompt = prompt;
        _sink = sink;
        _interrupt = interrupt;
        _runCts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        _setCurrent = setCurrent;
        PreviewMethod = previewMethod;
        _clientId = prompt.ClientId;
        Graph = new DynamicPrompt(prompt.Prompt);
        _progress = new ProgressReporter(prompt.PromptId, Graph,
            () => _sink.HasRecipients(MessageTarget.ClientOrAll, _clientId),
            (envelope, data) => EmitSerialized("progress_state", envelope, data, MessageTarget.ClientOrAll));
    }

    public QueuedPrompt Prompt { get; }
    public DynamicPrompt Graph { get; }
    public IServiceProvider Services { get; }
    public CancellationToken NodeToken => _runCts.Token;
    public string PreviewMethod { get; }


    public async Task<ExecutionRecord> RunAsync()
    {
        string promptId = Prompt.PromptId;
        AddMessage("execution_start", new JsonObject { ["prompt_id"] = promptId }, false);

        var originalIds = Prompt.Prompt.Select(kv => kv.Key).ToList();
        if (_cache.Enabled)
        {
            foreach (string id in originalIds) { await KeyAsync(id).ConfigureAwait(false); }
        }
        var keySet = _cache.Enabled ? originalIds.Select(id => _keys[id]).ToHashSet(StringComparer.Ordinal) : [];
        var objectSet = originalIds.Select(id => (id, Graph.GetClassType(id))).ToHashSet();
        _cache.BeginPrompt(keySet, objectSet);
        var cachedNodes = _cache.Enabled ? originalIds.Where(id => _cache.Contains(_keys[id])).ToList() : [];
        AddMessage("execution_cached", new JsonObject
        {
            ["nodes"] = new JsonArray(cachedNodes.Select(n => (JsonNode?)n).ToArray()),
            ["prompt_id"] = promptId,
        }, false);
        var currentOutputs = _cache.Enabled ? originalIds : [];

        ExecutionOutcome outcome = ExecutionOutcome.Success;
        try
        {
            foreach (string output in Prompt.OutputsToExecute) { await AddNodeAsync(output).ConfigureAwait(false); }
            while (_pending.Count > 0)
            {
                var (picked, cycle) = await StageAsync().ConfigureAwait(false);
                if (cycle is not null)
                {
                    HandleError(cycle, currentOutputs);
                    outcome = ExecutionOutcome.Error;
                    break;
                }
                var (result, failure) = await ExecuteNodeAsync(picked!).ConfigureAwait(false);
                if (result == StepResult.Failure)
                {
                    HandleError(failure!, currentOutputs);
                    outcome = failure!.Interrupted ? ExecutionOutcome.Interrupted : ExecutionOutcome.Error;
                    break;
                }
                if (result == StepResult.Success) { CompleteNode(picked!); }
                _cache.Poll();
            }
            if (outcome == ExecutionOutcome.Success)
            {
                AddMessage("execution_success", new JsonObject { ["prompt_id"] = promptId }, false);
            }
        }
        finally
        {
            lock (_lock) { _closed = true; }
            _setCurrent(null);
            await _runCts.CancelAsync().ConfigureAwait(false);
            _runCts.Dispose();
        }

        var outputs = new JsonObject();
        var meta = new JsonObject();
        foreach (var (id, ui) in _uiOutputs)
        {
            outputs[id] = ui?["output"]?.DeepClone();
            meta[id] = ui?["meta"]?.DeepClone();
        }
        bool ok = outcome == ExecutionOutcome.Success;
        var status = new JsonObject
        {
            ["status_str"] = ok ? "success" : "error",
            ["completed"] = ok,
            ["messages"] = _statusMessages,
        };
        return new ExecutionRecord(outcome, outputs, meta, status);
    }

    private void HandleError(Failure failure, IReadOnlyList<string> currentOutputs)
    {
        var details = failure.Details;
        string nodeId = (string)details["node_id"]!;
        string? nodeType = JsonValues.ToClr(Prompt.Prompt[nodeId]?["class_type"]) as string;
        if (failure.Interrupted)
        {
            AddMessage("execution_interrupted", new JsonObject
            {
                ["prompt_id"] = Prompt.PromptId,
                ["node_id"] = nodeId,
                ["node_type"] = nodeType,
                ["executed"] = ExecutedArray(),
            }, true);
            return;
        }
        AddMessage("execution_error", new JsonObject
        {
            ["prompt_id"] = Prompt.PromptId,
            ["node_id"] = nodeId,
            ["node_type"] = nodeType,
            ["executed"] = ExecutedArray(),
            ["exception_message"] = details["exception_message"]?.DeepClone(),
            ["exception_type"] = details["exception_type"]?.DeepClone(),
            ["traceback"] = details["traceback"]?.DeepClone(),
            ["current_inputs"] = details["current_inputs"]?.DeepClone(),
            ["current_outputs"] = new JsonArray(currentOutputs.Select(o => (JsonNode?)o).ToArray()),
        }, false);
    }

    // ---------------------------------------------------------------- registry helpers

    private NodeRegistration Registration(string classType) =>
        _registry.TryGet(classType, out var registration) ? registration
            : throw new NodeException("KeyError", Py.StringRepr(classType));

    private NodeSchema? SchemaOf(string nodeId) =>
        Graph.HasNode(nodeId) && _registry.TryGet(Graph.GetClassType(nodeId), out var r) ? r.Schema : null;
}
