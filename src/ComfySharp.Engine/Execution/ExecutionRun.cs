using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;

namespace ComfySharp.Engine.Execution;

/// <summary>
/// One prompt's execution (EXECUTION.md §5–§13): the pending set and its ordering, cache lookups by
/// signature, input gathering and list mapping, lazy inputs, expansion, async nodes and messages.
/// </summary>
internal sealed class ExecutionRun
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

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private void Emit(string type, JsonObject data, MessageTarget target)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _sink.Send(type, data, target, _clientId);
        }
    }

    private void EmitSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _sink.SendSerialized(type, envelope, data, target, _clientId);
        }
    }

    private void AddMessage(string type, JsonObject data, bool broadcast)
    {
        data["timestamp"] = Now();
        _statusMessages.Add(new JsonArray(type, data.DeepClone()));
        Emit(type, data, broadcast ? MessageTarget.ClientOrAll : MessageTarget.ClientOnly);
    }

    private JsonArray ExecutedArray() => new(_executed.Select(e => (JsonNode?)e).ToArray());

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

    // ---------------------------------------------------------------- signatures (EXECUTION.md §6.2)

    private static string Unique() => "U" + Guid.NewGuid().ToString("N");

    private async ValueTask<string> KeyAsync(string id)
    {
        if (_keys.TryGetValue(id, out string? known)) { return known; }
        // Post-order over ancestors without a key yet, iteratively (chains may be very deep).
        var order = new List<string>();
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(string Id, bool Expanded)>();
        stack.Push((id, false));
        while (stack.Count > 0)
        {
            var (node, expanded) = stack.Pop();
            if (_keys.ContainsKey(node)) { continue; }
            if (expanded) { order.Add(node); continue; }
            if (!visiting.Add(node)) { continue; }
            stack.Push((node, true));
            if (!Graph.HasNode(node)) { continue; }
            foreach (var (_, value) in Graph.GetInputs(node))
            {
                if (JsonValues.TryGetLink(value, out string src, out _) && Graph.HasNode(src) && !_keys.ContainsKey(src) && !visiting.Contains(src))
                {
                    stack.Push((src, false));
                }
            }
        }
        foreach (string node in order)
        {
            if (_keys.ContainsKey(node)) { continue; }
            string isChanged = await IsChangedAsync(node).ConfigureAwait(false);
            _keys[node] = ImmediateKey(node, isChanged);
        }
        return _keys.TryGetValue(id, out string? key) ? key : _keys[id] = Unique();
    }

    private string ImmediateKey(string id, string isChanged)
    {
        if (!Graph.HasNode(id)) { return Unique(); }
        string classType = Graph.GetClassType(id);
        var schema = SchemaOf(id);
        if (schema is null) { return Unique(); }
        var sb = new StringBuilder();
        sb.Append(classType).Append('\u0001').Append(isChanged).Append('\u0001');
        if (schema.NotIdempotent || schema.Hidden.Any(h => h.Kind == HiddenKind.UNIQUE_ID && h.PassThroughType is null))
        {
            sb.Append("id:").Append(id);
        }
        var inputs = Graph.GetInputs(id);
        foreach (var name in inputs.Select(kv => kv.Key).Order(StringComparer.Ordinal))
        {
            var value = inputs[name];
            sb.Append('\u0002').Append(name);
            if (JsonValues.TryGetLink(value, out string src, out int slot))
            {
                // A link's ancestor is identified by its own signature, never by its id.
                string srcKey = _keys.TryGetValue(src, out string? k) ? k : "missing:" + Unique();
                sb.Append("=>").Append(srcKey).Append('#').Append(slot);
            }
            else
            {
                sb.Append('=');
                Canon(sb, JsonValues.ToClr(value));
            }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Canonical text of a value for cache keys; unhashable values and NaN never match anything.</summary>
    private static void Canon(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null: sb.Append('N'); break;
            case bool b: sb.Append(b ? "I1" : "I0"); break;
            case long or ulong or BigInteger or int: sb.Append('I').Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case double d:
                if (double.IsNaN(d)) { sb.Append(Unique()); }
                else if (Math.Floor(d) == d && Math.Abs(d) < 1e18) { sb.Append('I').Append(((long)d).ToString(System.Globalization.CultureInfo.InvariantCulture)); }
                else { sb.Append('F').Append(d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)); }
                break;
            case string s: sb.Append('S').Append(s.Length).Append(':').Append(s); break;
            case JsonObject obj:
                sb.Append('{');
                foreach (var (k, v) in obj.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    sb.Append('S').Append(k.Length).Append(':').Append(k).Append('=');
                    Canon(sb, JsonValues.ToClr(v));
                    sb.Append(',');
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                foreach (var v in array) { Canon(sb, JsonValues.ToClr(v)); sb.Append(','); }
                sb.Append(']');
                break;
            case ExecutionBlocker: sb.Append('N'); break;
            default: sb.Append(Unique()); break;
        }
    }

    private async ValueTask<string> IsChangedAsync(string id)
    {
        var node = Graph.GetNode(id);
        if (node.TryGetPropertyValue("is_changed", out var verbatim))
        {
            var sbv = new StringBuilder("V");
            Canon(sbv, JsonValues.ToClr(verbatim));
            return sbv.ToString();
        }
        string classType = Graph.GetClassType(id);
        if (!_registry.TryGet(classType, out var registration)) { return "false"; }
        if (!_probes.TryGetValue(classType, out var probe))
        {
            probe = registration.Create();
            _probes[classType] = probe;
        }
        if (!probe.HasFingerprint) { return "false"; }
        try
        {
            var constants = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, value) in Graph.GetInputs(id))
            {
                var spec = registration.Schema.FindInput(name);
                if (JsonValues.IsLink(value) && value is JsonArray && JsonValues.TryGetLink(value, out _, out _) && spec is not { RawLink: true })
                {
                    constants[name] = null;
                }
                else if (spec is not null)
                {
                    constants[name] = JsonValues.ToClr(value);
                }
            }
            object? fingerprint = await probe.FingerprintInputsAsync(new NodeInputs(constants), Services).ConfigureAwait(false);
            var sb = new StringBuilder("[");
            Canon(sb, fingerprint is ExecutionBlocker ? null : fingerprint);
            return sb.Append(']').ToString();
        }
        catch (Exception)
        {
            return Unique();
        }
    }

    private async ValueTask<bool> IsCachedAsync(string id)
    {
        if (_results.ContainsKey(id)) { return true; }
        if (!_cache.Enabled) { return false; }
        return _cache.Contains(await KeyAsync(id).ConfigureAwait(false));
    }

    private async ValueTask<CacheEntry?> GetResultAsync(string id)
    {
        if (_results.TryGetValue(id, out var entry)) { return entry; }
        if (!_cache.Enabled || !Graph.HasNode(id)) { return null; }
        entry = _cache.Get(await KeyAsync(id).ConfigureAwait(false));
        if (entry is not null) { _results[id] = entry; }
        return entry;
    }

    // ---------------------------------------------------------------- scheduling (EXECUTION.md §5)

    private void SetBlockCount(string id, int count)
    {
        _blockCount[id] = count;
        if (_pending.TryGetValue(id, out long seq))
        {
            if (count == 0) { _ready.Add((RankOf(id), seq, id)); }
            else { _ready.Remove((RankOf(id), seq, id)); }
        }
    }

    private int RankOf(string id) => _rank.GetValueOrDefault(id, NotFriendly);

    /// <summary>
    /// The "friendly pick" of §5 as a rank kept up to date as links appear, so picking is O(log n) instead of a
    /// scan of every ready node: 0 = an output or async node, 1 = blocks one, 2 = blocks a node that blocks one,
    /// 3 = anything else. A pending node's rank only falls (links are removed only when their source finishes),
    /// so each node is lowered at most three times and propagation costs O(links) per prompt.
    /// </summary>
    private void LowerRank(string id, int candidate)
    {
        int current = RankOf(id);
        if (candidate >= current) { return; }
        if (_pending.TryGetValue(id, out long seq) && _blockCount.GetValueOrDefault(id) == 0 && _ready.Remove((current, seq, id)))
        {
            _ready.Add((candidate, seq, id));
        }
        _rank[id] = candidate;
        if (candidate + 1 < NotFriendly && _blockedBy.TryGetValue(id, out var sources))
        {
            foreach (string source in sources) { LowerRank(source, candidate + 1); }
        }
    }

    private const int NotFriendly = 3;

    private async ValueTask AddNodeAsync(string root, bool includeLazy = false)
    {
        var stack = new Stack<string>();
        stack.Push(root);
        var links = new List<(string From, int Slot, string To)>();
        while (stack.Count > 0)
        {
            string id = stack.Pop();
            if (_pending.ContainsKey(id)) { continue; }
            _pending[id] = _sequence++;
            _blocking[id] = new HashSet<string>(StringComparer.Ordinal);
            _rank[id] = IsOutputOrAsync(id) ? 0 : NotFriendly;
            SetBlockCount(id, 0);
            var schema = SchemaOf(id);
            foreach (var (name, value) in Graph.GetInputs(id))
            {
                if (!JsonValues.TryGetLink(value, out string from, out int slot)) { continue; }
                bool lazy = schema?.FindInput(name)?.Lazy ?? false;
                if (includeLazy || !lazy)
                {
                    if (!await IsCachedAsync(from).ConfigureAwait(false)) { stack.Push(from); }
                    links.Add((from, slot, id));
                }
            }
        }
        foreach (var (from, slot, to) in links)
        {
            await AddStrongLinkAsync(from, slot, to).ConfigureAwait(false);
        }
    }

    private async ValueTask AddStrongLinkAsync(string from, int slot, string to)
    {
        _ = slot;
        if (await IsCachedAsync(from).ConfigureAwait(false)) { return; }
        await AddNodeAsync(from).ConfigureAwait(false);
        if (_blocking[from].Add(to))
        {
            if (!_blockedBy.TryGetValue(to, out var sources))
            {
                sources = new HashSet<string>(StringComparer.Ordinal);
                _blockedBy[to] = sources;
            }
            sources.Add(from);
            SetBlockCount(to, _blockCount[to] + 1);
            LowerRank(from, Math.Min(NotFriendly, RankOf(to) + 1));
        }
    }

    private void CompleteNode(string id)
    {
        if (_pending.Remove(id, out long seq)) { _ready.Remove((RankOf(id), seq, id)); }
        _rank.Remove(id);
        _blockedBy.Remove(id);
        if (_blocking.Remove(id, out var blocked))
        {
            foreach (string to in blocked)
            {
                if (_blockedBy.TryGetValue(to, out var sources)) { sources.Remove(id); }
                if (_blockCount.TryGetValue(to, out int count)) { SetBlockCount(to, count - 1); }
            }
        }
    }

    private void DrainAsyncCompletions()
    {
        while (_asyncDone.Reader.TryRead(out string? id))
        {
            _externalBlocks--;
            if (_blockCount.TryGetValue(id, out int count)) { SetBlockCount(id, count - 1); }
        }
    }

    private async ValueTask<(string? Picked, Failure? Cycle)> StageAsync()
    {
        DrainAsyncCompletions();
        while (_ready.Count == 0 && _externalBlocks > 0)
        {
            await _asyncDone.Reader.WaitToReadAsync().ConfigureAwait(false);
            DrainAsyncCompletions();
        }
        if (_ready.Count == 0)
        {
            var cycle = NodesInCycle();
            string blamed = cycle.Count > 0 ? cycle[0] : _pending.Keys.First();
            foreach (string id in cycle)
            {
                string display = Graph.GetDisplayNodeId(id);
                if (display != id) { blamed = display; break; }
            }
            return (null, new Failure(new JsonObject
            {
                ["node_id"] = blamed,
                ["exception_message"] = "Dependency cycle detected",
                ["exception_type"] = "graph.DependencyCycleError",
                ["traceback"] = new JsonArray(),
                ["current_inputs"] = new JsonArray(),
            }, false));
        }
        return (_ready.Min.Id, null);
    }

    private bool IsOutputOrAsync(string id) => SchemaOf(id) is { } s && (s.OutputNode || s.IsAsync);

    private List<string> NodesInCycle()
    {
        var blockedBy = _pending.OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (from, tos) in _blocking)
        {
            foreach (string to in tos)
            {
                if (blockedBy.TryGetValue(to, out var set)) { set.Add(from); }
            }
        }
        var order = _pending.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToList();
        while (true)
        {
            var removable = order.Where(id => blockedBy.ContainsKey(id) && blockedBy[id].Count == 0).ToList();
            if (removable.Count == 0) { break; }
            foreach (string id in removable)
            {
                blockedBy.Remove(id);
                foreach (var set in blockedBy.Values) { set.Remove(id); }
            }
        }
        return order.Where(blockedBy.ContainsKey).ToList();
    }

    // ---------------------------------------------------------------- executing one node

    private JsonObject MetaOf(string id) => new()
    {
        ["node_id"] = id,
        ["display_node"] = Graph.GetDisplayNodeId(id),
        ["parent_node"] = Graph.GetParentNodeId(id),
        ["real_node_id"] = Graph.GetRealNodeId(id),
    };

    private async ValueTask<(StepResult, Failure?)> ExecuteNodeAsync(string id)
    {
        string classType = Graph.GetClassType(id);
        string displayId = Graph.GetDisplayNodeId(id);
        string realId = Graph.GetRealNodeId(id);

        var cached = !_pendingAsync.ContainsKey(id) && !_pendingSubgraph.ContainsKey(id) ? await GetResultAsync(id).ConfigureAwait(false) : null;
        if (cached is not null)
        {
            Emit("executed", new JsonObject
            {
                ["node"] = id,
                ["display_node"] = displayId,
                ["output"] = cached.Ui?["output"]?.DeepClone(),
                ["prompt_id"] = Prompt.PromptId,
            }, MessageTarget.ClientOnly);
            lock (_lock) { _progress.Finish(id); }
            if (cached.Ui is not null) { _uiOutputs[id] = cached.Ui.DeepClone(); }
            return (StepResult.Success, null);
        }

        OrderedDictionary<string, List<object?>>? inputData = null;
        try
        {
            var registration = Registration(classType);
            var schema = registration.Schema;
            IReadOnlyList<IReadOnlyList<object?>> outputData;
            List<(JsonObject? Graph, IReadOnlyList<object?> Values)>? subgraph = null;
            JsonObject ui = [];

            if (_pendingAsync.Remove(id, out var asyncCalls))
            {
                var results = new List<object?>();
                foreach (object? call in asyncCalls)
                {
                    if (call is Task<NodeOutput> task)
                    {
                        results.Add(await task.ConfigureAwait(false));
                    }
                    else
                    {
                        results.Add(call);
                    }
                }
                (outputData, subgraph, ui) = FromReturns(results, schema);
            }
            else if (_pendingSubgraph.Remove(id, out var parts))
            {
                var resolved = new List<IReadOnlyList<object?>>();
                foreach (var (graph, values) in parts)
                {
                    if (graph is null) { resolved.Add(values); continue; }
                    var flat = new List<object?>();
                    foreach (object? value in values)
                    {
                        if (value is NodeLink link)
                        {
                            var source = await GetResultAsync(link.NodeId).ConfigureAwait(false)
                                ?? throw new NodeException("KeyError", Py.StringRepr(link.NodeId));
                            flat.AddRange(source.Outputs[link.Slot]);
                        }
                        else
                        {
                            flat.Add(value);
                        }
                    }
                    resolved.Add(flat);
                }
                outputData = Merge(resolved, schema);
            }
            else
            {
                lock (_lock) { _progress.Start(id); }
                var (gathered, missing) = await GatherInputsAsync(id, schema).ConfigureAwait(false);
                inputData = gathered;
                Emit("executing", new JsonObject { ["node"] = id, ["display_node"] = displayId, ["prompt_id"] = Prompt.PromptId }, MessageTarget.ClientOnly);
                _setCurrent((displayId, _clientId));
                var node = _cache.GetOrCreateObject(id, classType, registration.Create);

                if (node.HasLazyStatusCheck)
                {
                    var requested = new List<string>();
                    var lazyResults = await MapOverListAsync(id, node, schema, gathered, lazyCheck: true).ConfigureAwait(false);
                    foreach (object? r in lazyResults)
                    {
                        if (r is IReadOnlyList<string> names)
                        {
                            foreach (string n in names)
                            {
                                if (!requested.Contains(n) && (!gathered.ContainsKey(n) || missing.Contains(n))) { requested.Add(n); }
                            }
                        }
                    }
                    if (requested.Count > 0)
                    {
                        foreach (string name in requested) { await MakeInputStrongLinkAsync(id, name).ConfigureAwait(false); }
                        return (StepResult.Pending, null);
                    }
                }

                var calls = await MapOverListAsync(id, node, schema, gathered, lazyCheck: false).ConfigureAwait(false);
                var tasks = calls.OfType<Task<NodeOutput>>().ToList();
                if (tasks.Count > 0)
                {
                    _pendingAsync[id] = calls;
                    SetBlockCount(id, _blockCount[id] + 1);
                    _externalBlocks++;
                    _ = Task.WhenAll(tasks).ContinueWith(_ =>
                    {
                        _asyncDone.Writer.TryWrite(id);
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return (StepResult.Pending, null);
                }
                (outputData, subgraph, ui) = FromReturns(calls, schema);
            }

            if (ui.Count > 0)
            {
                _uiOutputs[id] = new JsonObject { ["meta"] = MetaOf(id), ["output"] = ui.DeepClone() };
                Emit("executed", new JsonObject
                {
                    ["node"] = id,
                    ["display_node"] = displayId,
                    ["output"] = ui,
                    ["prompt_id"] = Prompt.PromptId,
                }, MessageTarget.ClientOnly);
            }

            if (subgraph is not null)
            {
                await ExpandAsync(id, subgraph).ConfigureAwait(false);
                return (StepResult.Pending, null);
            }

            var entry = new CacheEntry(outputData, _uiOutputs[id] as JsonObject);
            _results[id] = entry;
            if (_cache.Enabled) { _cache.Set(await KeyAsync(id).ConfigureAwait(false), entry); }
        }
        catch (Exception ex) when (IsInterrupt(ex))
        {
            return (StepResult.Failure, new Failure(new JsonObject { ["node_id"] = realId }, true));
        }
        catch (Exception ex)
        {
            var currentInputs = new JsonObject();
            if (inputData is not null)
            {
                foreach (var (name, values) in inputData)
                {
                    currentInputs[name] = new JsonArray(values.Select(FormatValue).ToArray());
                }
            }
            return (StepResult.Failure, new Failure(new JsonObject
            {
                ["node_id"] = realId,
                ["exception_message"] = Py.ExceptionText(ex) + "\n",
                ["exception_type"] = Py.ExceptionTypeName(ex),
                ["traceback"] = Py.Traceback(ex),
                ["current_inputs"] = currentInputs,
            }, false));
        }

        lock (_lock) { _progress.Finish(id); }
        if (_executedSet.Add(id)) { _executed.Add(id); }
        return (StepResult.Success, null);
    }

    private bool IsInterrupt(Exception ex) => ex is OperationCanceledException && _interrupt.IsCancellationRequested;

    private static JsonNode? FormatValue(object? value) => value switch
    {
        null => null,
        string or bool or long or double or ulong => GraphBuilder.ToJson(value),
        BigInteger b => JsonNumbers.Integer(b),
        _ => Py.Str(value),
    };

    private async ValueTask MakeInputStrongLinkAsync(string to, string input)
    {
        var inputs = Graph.GetInputs(to);
        if (!inputs.TryGetPropertyValue(input, out var value))
        {
            throw new NodeException("comfy_execution.graph.NodeInputError", $"Node {to} says it needs input {input}, but there is no input to that node at all");
        }
        if (!JsonValues.TryGetLink(value, out string from, out int slot))
        {
            throw new NodeException("comfy_execution.graph.NodeInputError", $"Node {to} says it needs input {input}, but that value is a constant");
        }
        await AddStrongLinkAsync(from, slot, to).ConfigureAwait(false);
    }

    private async ValueTask ExpandAsync(string id, List<(JsonObject? Graph, IReadOnlyList<object?> Values)> parts)
    {
        var newOutputs = new List<string>();
        var newLinks = new List<NodeLink>();
        foreach (var (graph, values) in parts)
        {
            if (graph is null) { continue; }
            foreach (var (nodeId, _) in graph)
            {
                if (Graph.HasNode(nodeId))
                {
                    throw new NodeException("DuplicateNodeError",
                        $"Attempt to add duplicate node {nodeId}. Ensure node ids are unique and deterministic or use graph_utils.GraphBuilder.");
                }
            }
            foreach (var (nodeId, info) in graph)
            {
                if (info is not JsonObject nodeInfo) { continue; }
                string display = nodeInfo["override_display_id"] is JsonValue d && d.TryGetValue<string>(out string? ds) ? ds : id;
                Graph.AddEphemeral(nodeId, nodeInfo, id, display);
                if (_registry.TryGet(Graph.GetClassType(nodeId), out var r) && r.Schema.OutputNode) { newOutputs.Add(nodeId); }
            }
            newLinks.AddRange(values.OfType<NodeLink>());
        }
        foreach (string output in newOutputs) { await AddNodeAsync(output).ConfigureAwait(false); }
        foreach (var link in newLinks) { await AddStrongLinkAsync(link.NodeId, link.Slot, id).ConfigureAwait(false); }
        _pendingSubgraph[id] = parts;
    }

    private async ValueTask<(OrderedDictionary<string, List<object?>> Data, HashSet<string> Missing)> GatherInputsAsync(string id, NodeSchema schema)
    {
        var data = new OrderedDictionary<string, List<object?>>(StringComparer.Ordinal);
        var missing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in Graph.GetInputs(id))
        {
            var spec = schema.FindInput(name);
            bool passThrough = spec is null && schema.Hidden.Any(h => h.Name == name && h.PassThroughType is not null);
            if (JsonValues.TryGetLink(value, out string from, out int slot) && spec is not { RawLink: true })
            {
                var source = await GetResultAsync(from).ConfigureAwait(false);
                if (source is null || slot < 0 || slot >= source.Outputs.Count)
                {
                    missing.Add(name);
                    data[name] = [null];
                    continue;
                }
                data[name] = [.. source.Outputs[slot]];
            }
            else if (spec is not null || passThrough)
            {
                data[name] = [JsonValues.ToClr(value)];
            }
        }
        foreach (var hidden in schema.Hidden)
        {
            if (hidden.PassThroughType is not null) { continue; }
            data[hidden.Name] = [hidden.Kind switch
            {
                HiddenKind.PROMPT => Prompt.Prompt,
                HiddenKind.EXTRA_PNGINFO => Prompt.ExtraData["extra_pnginfo"],
                HiddenKind.UNIQUE_ID => id,
                HiddenKind.DYNPROMPT => Graph,
                HiddenKind.AUTH_TOKEN_COMFY_ORG => JsonValues.ToClr(Prompt.Sensitive?["auth_token_comfy_org"]),
                HiddenKind.API_KEY_COMFY_ORG => JsonValues.ToClr(Prompt.Sensitive?["api_key_comfy_org"]),
                _ => null,
            }];
        }
        return (data, missing);
    }

    private async ValueTask<List<object?>> MapOverListAsync(string id, ComfyNode node, NodeSchema schema,
        OrderedDictionary<string, List<object?>> data, bool lazyCheck)
    {
        var results = new List<object?>();
        if (schema.InputIsList)
        {
            var whole = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, list) in data) { whole[name] = list; }
            var blocker = data.Values.SelectMany(l => l).OfType<ExecutionBlocker>().FirstOrDefault();
            await CallAsync(id, node, whole, 0, blocker, lazyCheck, results).ConfigureAwait(false);
            return results;
        }
        int maxLength = data.Count == 0 ? 0 : data.Values.Max(l => l.Count);
        if (maxLength == 0)
        {
            await CallAsync(id, node, new Dictionary<string, object?>(StringComparer.Ordinal), 0, null, lazyCheck, results).ConfigureAwait(false);
            return results;
        }
        for (int i = 0; i < maxLength; i++)
        {
            var slice = new Dictionary<string, object?>(StringComparer.Ordinal);
            ExecutionBlocker? blocker = null;
            foreach (var (name, list) in data)
            {
                object? element = list.Count == 0 ? null : list[Math.Min(i, list.Count - 1)];
                slice[name] = element;
                if (blocker is null && element is ExecutionBlocker b) { blocker = b; }
            }
            await CallAsync(id, node, slice, i, blocker, lazyCheck, results).ConfigureAwait(false);
        }
        return results;
    }

    private async ValueTask CallAsync(string id, ComfyNode node, Dictionary<string, object?> inputs, int callIndex,
        ExecutionBlocker? blocker, bool lazyCheck, List<object?> results)
    {
        _interrupt.ThrowIfCancellationRequested();
        if (blocker is not null)
        {
            results.Add(lazyCheck ? blocker : OnBlocked(id, blocker));
            return;
        }
        var context = new ExecutionNodeContext(this, id, callIndex);
        if (lazyCheck)
        {
            results.Add(await node.CheckLazyStatusAsync(new NodeInputs(inputs), context).ConfigureAwait(false));
            return;
        }
        var pending = node.ExecuteAsync(new NodeInputs(inputs), context);
        if (pending.IsCompleted)
        {
            results.Add(await pending.ConfigureAwait(false));
        }
        else
        {
            results.Add(pending.AsTask());
        }
    }

    private ExecutionBlocker OnBlocked(string id, ExecutionBlocker blocker)
    {
        if (blocker.Message is null) { return blocker; }
        Emit("execution_error", new JsonObject
        {
            ["prompt_id"] = Prompt.PromptId,
            ["node_id"] = id,
            ["node_type"] = Graph.GetClassType(id),
            ["executed"] = ExecutedArray(),
            ["exception_message"] = "Execution Blocked: " + blocker.Message,
            ["exception_type"] = "ExecutionBlocked",
            ["traceback"] = new JsonArray(),
            ["current_inputs"] = new JsonArray(),
            ["current_outputs"] = new JsonArray(),
        }, MessageTarget.ClientOrAll);
        return new ExecutionBlocker(null);
    }

    private static (IReadOnlyList<IReadOnlyList<object?>> Outputs, List<(JsonObject?, IReadOnlyList<object?>)>? Subgraph, JsonObject Ui)
        FromReturns(List<object?> calls, NodeSchema schema)
    {
        var results = new List<IReadOnlyList<object?>>();
        var uis = new List<JsonObject>();
        var subgraph = new List<(JsonObject?, IReadOnlyList<object?>)>();
        bool hasSubgraph = false;
        foreach (object? call in calls)
        {
            ExecutionBlocker? blocked = call as ExecutionBlocker ?? (call as NodeOutput)?.Blocker;
            if (blocked is not null)
            {
                var tuple = Enumerable.Repeat<object?>(blocked, schema.Outputs.Count).ToList();
                results.Add(tuple);
                subgraph.Add((null, tuple));
                continue;
            }
            if (call is not NodeOutput output) { continue; }
            if (output.Ui is not null) { uis.Add(output.Ui); }
            if (output.Expand is not null)
            {
                hasSubgraph = true;
                subgraph.Add((output.Expand, output.Values));
            }
            else
            {
                results.Add(output.Values);
                subgraph.Add((null, output.Values));
            }
        }
        var ui = new JsonObject();
        if (uis.Count > 0)
        {
            foreach (var (key, _) in uis[0])
            {
                var merged = new JsonArray();
                foreach (var u in uis)
                {
                    if (u[key] is JsonArray items) { foreach (var item in items) { merged.Add(item?.DeepClone()); } }
                    else if (u.ContainsKey(key)) { merged.Add(u[key]?.DeepClone()); }
                }
                ui[key] = merged;
            }
        }
        if (hasSubgraph) { return ([], subgraph, ui); }
        return (results.Count > 0 ? Merge(results, schema) : [], null, ui);
    }

    private static List<IReadOnlyList<object?>> Merge(List<IReadOnlyList<object?>> results, NodeSchema schema)
    {
        var output = new List<IReadOnlyList<object?>>();
        int slots = results[0].Count;
        for (int i = 0; i < slots; i++)
        {
            bool isList = i < schema.Outputs.Count && schema.Outputs[i].IsList;
            var values = new List<object?>();
            foreach (var r in results)
            {
                object? v = i < r.Count ? r[i] : null;
                if (isList && v is not ExecutionBlocker && v is System.Collections.IEnumerable items && v is not string && v is not JsonNode)
                {
                    foreach (object? item in items) { values.Add(item); }
                }
                else
                {
                    values.Add(v);
                }
            }
            output.Add(values);
        }
        return output;
    }

    // ---------------------------------------------------------------- progress from nodes

    public void ReportProgressBar(string nodeId, JsonNode value, JsonNode max, PreviewImage? preview)
    {
        _interrupt.ThrowIfCancellationRequested();
        NodeToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_closed) { return; }
            _progress.Update(nodeId, value, max);
            if (preview is not null)
            {
                _sink.SendPreview(preview, new PreviewOrigin(nodeId, Prompt.PromptId, Graph.GetDisplayNodeId(nodeId), Graph.GetParentNodeId(nodeId), Graph.GetRealNodeId(nodeId)), _clientId);
            }
            _sink.Send("progress", new JsonObject
            {
                ["value"] = value.DeepClone(),
                ["max"] = max.DeepClone(),
                ["prompt_id"] = Prompt.PromptId,
                ["node"] = nodeId,
            }, MessageTarget.ClientOrAll, _clientId);
        }
    }

    public void ReportProgressApi(string nodeId, JsonNode value, JsonNode max)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _progress.Update(nodeId, value, max);
        }
    }

    public void SendText(string nodeId, string text)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _sink.SendText(nodeId, text);
        }
    }
}
