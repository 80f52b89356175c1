using System.Numerics;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;

namespace ComfySharp.Engine.Execution;

/// <summary>Executing one node: input gathering, lazy inputs, list mapping, expansion and async nodes.</summary>
internal sealed partial class ExecutionRun
{
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
}
