using System.Numerics;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;
using ComfySharp.Engine.Schema;

namespace ComfySharp.Engine.Validation;

/// <summary>
/// Validates a submitted prompt exactly as the reference does (EXECUTION.md §2–§4): structural checks,
/// output selection, per-input checks, custom validation, and in-place coercion of widget values.
/// </summary>
public sealed class PromptValidator
{
    /// <summary>
    /// How many <c>dependent_outputs</c> entries one validation writes in all. The reference appends each
    /// failing output to every failed node seen so far, which grows with the square of the failing
    /// outputs (10,000 of them would make 50 million entries); the first entries are exactly the reference's.
    /// </summary>
    public const int MaxDependentOutputEntries = 10_000;

    private readonly NodeRegistry _registry;
    private readonly IServiceProvider _services;

    /// <summary>Creates a validator over a registry. <paramref name="services"/> reaches dynamic option lists and files.</summary>
    public PromptValidator(NodeRegistry registry, IServiceProvider services)
    {
        _registry = registry;
        _services = services;
    }

    /// <summary>
    /// Validates <paramref name="prompt"/> (mutating it: coerced values replace submitted ones).
    /// <paramref name="partialExecutionTargets"/> restricts the selected outputs when not null.
    /// </summary>
    public async ValueTask<PromptValidation> ValidateAsync(JsonObject prompt, IReadOnlyList<string>? partialExecutionTargets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var outputs = new List<string>();
        HashSet<string>? targets = partialExecutionTargets?.ToHashSet(StringComparer.Ordinal);
        foreach (var (id, node) in prompt)
        {
            if (node is not JsonObject nodeObject || !nodeObject.ContainsKey("class_type"))
            {
                return Fail(TopError("invalid_prompt", "Cannot execute because a node is missing the class_type property.", $"Node ID '#{id}'"));
            }
            object? classType = JsonValues.ToClr(nodeObject["class_type"]);
            if (classType is not string name || !_registry.TryGet(name, out var registration))
            {
                return Fail(TopError("invalid_prompt", $"Cannot execute because node {Py.Str(classType)} does not exist.", $"Node ID '#{id}'"));
            }
            if (registration.Schema.OutputNode && (targets is null || targets.Contains(id)))
            {
                outputs.Add(id);
            }
        }
        if (outputs.Count == 0)
        {
            return Fail(TopError("prompt_no_outputs", "Prompt has no outputs", ""));
        }

        var run = new Run(this, prompt, cancellationToken);
        if (!await PrevalidateAsync(run, prompt, outputs).ConfigureAwait(false))
        {
            // A cycle reachable from an output: the recursive walk would meet a node it is still validating.
            return Fail(TopError("prompt_outputs_failed_validation", "Prompt outputs failed validation", ""));
        }
        var goodOutputs = new List<string>();
        var detailLines = new List<string>();
        var errorReport = new NodeErrorReport(prompt);
        foreach (string output in outputs)
        {
            NodeResult result;
            try
            {
                result = await run.ValidateNodeAsync(output).ConfigureAwait(false);
            }
            catch (StaticCycleException)
            {
                return Fail(TopError("prompt_outputs_failed_validation", "Prompt outputs failed validation", ""));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var error = ErrorObject("exception_during_validation", "Exception when validating node", Py.ExceptionText(ex),
                    new JsonObject { ["exception_type"] = Py.ExceptionTypeName(ex), ["traceback"] = Py.Traceback(ex) });
                result = new NodeResult(false, [error]);
                run.Memoize(output, result);
            }

            if (result.Valid)
            {
                goodOutputs.Add(output);
                continue;
            }
            foreach (var error in result.Errors)
            {
                detailLines.Add($"{(string?)error["message"]}: {(string?)error["details"]}");
            }
            errorReport.AddFailedOutput(output, run);
        }

        if (goodOutputs.Count == 0)
        {
            var error = TopError("prompt_outputs_failed_validation", "Prompt outputs failed validation", string.Join("\n", detailLines));
            return new PromptValidation(false, error, [], errorReport.NodeErrors);
        }
        return new PromptValidation(true, null, goodOutputs, errorReport.NodeErrors);
    }

    /// <summary>
    /// Validates upstream nodes first, deepest first, so the reference's recursive walk never nests deeper
    /// than one level (a 10,000-node chain would otherwise exhaust the stack). Results are memoised exactly
    /// as the recursion would; a node whose validation throws is left for its consumer to report, as the
    /// recursion does. Returns false, validating nothing, when a cycle is reachable from an output: the
    /// recursive walk would fail the whole prompt there, and following it would nest as deep as the cycle is long.
    /// </summary>
    private static async ValueTask<bool> PrevalidateAsync(Run run, JsonObject prompt, List<string> outputs)
    {
        var outputSet = outputs.ToHashSet(StringComparer.Ordinal);
        var order = new List<string>();
        // false: on the current path (its Expanded marker is still on the stack); true: done.
        var state = new Dictionary<string, bool>(StringComparer.Ordinal);
        var stack = new Stack<(string Id, bool Expanded)>();
        foreach (string output in outputs) { stack.Push((output, false)); }
        while (stack.Count > 0)
        {
            var (id, expanded) = stack.Pop();
            if (expanded)
            {
                state[id] = true;
                order.Add(id);
                continue;
            }
            if (state.TryGetValue(id, out bool done))
            {
                if (!done) { return false; }
                continue;
            }
            state[id] = false;
            stack.Push((id, true));
            if (prompt[id]?["inputs"] is not JsonObject inputs) { continue; }
            foreach (var (_, value) in inputs)
            {
                if (!JsonValues.TryGetLink(value, out string source, out _) || prompt[source] is not JsonObject) { continue; }
                if (state.TryGetValue(source, out bool sourceDone))
                {
                    if (!sourceDone) { return false; }
                    continue;
                }
                stack.Push((source, false));
            }
        }
        foreach (string id in order)
        {
            if (outputSet.Contains(id)) { continue; }
            try
            {
                await run.ValidateNodeAsync(id).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Reported by the consumer that links to it, exactly as in the recursive walk.
            }
        }
        return true;
    }

    /// <summary>
    /// Builds <c>node_errors</c> as the reference does (EXECUTION.md §2: after each failing output, every
    /// node in the memo that failed with errors lists that output in <c>dependent_outputs</c>), in time
    /// linear in the memo: entries are examined once each, and the appends, which grow with the square
    /// of the failing outputs in the reference, stop after <see cref="MaxDependentOutputEntries"/>.
    /// </summary>
    private sealed class NodeErrorReport(JsonObject prompt)
    {
        private readonly List<JsonArray> _dependents = [];
        private int _scanned;
        private int _appended;

        public JsonObject NodeErrors { get; } = [];

        public void AddFailedOutput(string output, Run run)
        {
            IReadOnlyList<(string Id, NodeResult? Result)> memo = run.MemoSnapshot;
            for (; _scanned < memo.Count; _scanned++)
            {
                var (nodeId, result) = memo[_scanned];
                if (result is null || result.Valid || result.Errors.Count == 0 || NodeErrors.ContainsKey(nodeId)) { continue; }
                var dependents = new JsonArray();
                NodeErrors[nodeId] = new JsonObject
                {
                    ["errors"] = new JsonArray(result.Errors.Select(e => (JsonNode?)e.DeepClone()).ToArray()),
                    ["dependent_outputs"] = dependents,
                    ["class_type"] = JsonValues.ToClr(prompt[nodeId]?["class_type"]) as string,
                };
                _dependents.Add(dependents);
            }
            foreach (JsonArray dependents in _dependents)
            {
                if (_appended >= MaxDependentOutputEntries) { return; }
                dependents.Add(output);
                _appended++;
            }
        }
    }

    private static PromptValidation Fail(JsonObject error) => new(false, error, [], []);

    private static JsonObject TopError(string type, string message, string details) => new()
    {
        ["type"] = type,
        ["message"] = message,
        ["details"] = details,
        ["extra_info"] = new JsonObject(),
    };

    private static JsonObject ErrorObject(string type, string message, string details, JsonObject extraInfo) => new()
    {
        ["type"] = type,
        ["message"] = message,
        ["details"] = details,
        ["extra_info"] = extraInfo,
    };

    /// <summary>Link type compatibility (EXECUTION.md §3.3). <paramref name="declared"/> is null for legacy combos.</summary>
    public static bool TypesMatch(string received, string? declared)
    {
        ArgumentNullException.ThrowIfNull(received);
        if (received == declared) { return true; }
        if (received == "*" || declared == "*") { return true; }
        if (received == "COMFY_MATCHTYPE_V3" || declared == "COMFY_MATCHTYPE_V3") { return true; }
        if (declared is null) { return false; }
        var receivedSet = received.Split(',').Select(p => p.Trim()).ToHashSet(StringComparer.Ordinal);
        var declaredSet = declared.Split(',').Select(p => p.Trim()).ToHashSet(StringComparer.Ordinal);
        if (receivedSet.Contains("*") || declaredSet.Contains("*")) { return true; }
        return receivedSet.Overlaps(declaredSet);
    }

    private sealed record NodeResult(bool Valid, List<JsonObject> Errors);

    private sealed class StaticCycleException : Exception;

    private sealed class Run(PromptValidator owner, JsonObject prompt, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, NodeResult> _memo = new(StringComparer.Ordinal);
        // Memo entries in insertion order; a re-memoised id moves to the end, as a removal and insertion would.
        private readonly List<(string Id, NodeResult? Result)> _memoOrder = [];
        private readonly Dictionary<string, int> _memoIndex = new(StringComparer.Ordinal);
        private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
        private readonly Dictionary<InputSpec, JsonArray> _configs = [];

        public void Memoize(string id, NodeResult result)
        {
            if (_memoIndex.TryGetValue(id, out int old))
            {
                // A tombstone keeps later positions stable for readers that walk the list with a cursor.
                _memoOrder[old] = (id, null);
            }
            _memo[id] = result;
            _memoIndex[id] = _memoOrder.Count;
            _memoOrder.Add((id, result));
        }

        /// <summary>The memo in insertion order, a null result marking a superseded entry (a live view: it grows as validation goes on).</summary>
        public IReadOnlyList<(string Id, NodeResult? Result)> MemoSnapshot => _memoOrder;

        private JsonArray Config(InputSpec spec, NodeFlavor flavor)
        {
            if (!_configs.TryGetValue(spec, out var config))
            {
                config = ObjectInfo.InputConfig(spec, flavor, owner._services);
                _configs[spec] = config;
            }
            return (JsonArray)config.DeepClone();
        }

        private static KeyNotFoundException PythonKeyError(object? key)
        {
            var error = new KeyNotFoundException($"Key {Py.Repr(key)} not found.");
            error.Data["PythonKey"] = Py.Repr(key);
            return error;
        }

        public async ValueTask<NodeResult> ValidateNodeAsync(string id)
        {
            if (_memo.TryGetValue(id, out var known)) { return known; }
            if (!_inProgress.Add(id)) { throw new StaticCycleException(); }
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var node = prompt[id] as JsonObject ?? throw PythonKeyError(id);
                if (node["inputs"] is not JsonObject inputs) { throw PythonKeyError("inputs"); }
                string classType = JsonValues.ToClr(node["class_type"]) as string ?? throw PythonKeyError("class_type");
                if (!owner._registry.TryGet(classType, out var registration)) { throw PythonKeyError(classType); }
                var schema = registration.Schema;
                var signature = schema.Validation;
                var vfParams = signature?.Parameters ?? [];
                bool wantsTypes = signature?.WantsInputTypes ?? false;
                bool kwargs = signature?.AcceptsAllInputs ?? false;

                var errors = new List<JsonObject>();
                bool valid = true;
                var receivedTypes = new Dictionary<string, string>(StringComparer.Ordinal);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var required = new HashSet<string>(schema.Required.Select(r => r.Name), StringComparer.Ordinal);
                foreach (var spec in schema.AllInputs)
                {
                    string x = spec.Name;
                    if (!seen.Add(x)) { continue; }
                    if (!inputs.TryGetPropertyValue(x, out JsonNode? raw))
                    {
                        if (required.Contains(x))
                        {
                            errors.Add(ErrorObject("required_input_missing", "Required input is missing", x, new JsonObject { ["input_name"] = x }));
                        }
                        continue;
                    }

                    if (raw is JsonArray linkArray)
                    {
                        if (linkArray.Count != 2)
                        {
                            errors.Add(ErrorObject("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", x, new JsonObject
                            {
                                ["input_name"] = x,
                                ["input_config"] = Config(spec, schema.Flavor),
                                ["received_value"] = GraphBuilder.CloneValue(raw),
                            }));
                            continue;
                        }
                        object? sourceKey = JsonValues.ToClr(linkArray[0]);
                        if (sourceKey is not string sourceId || prompt[sourceId] is not JsonObject sourceNode) { throw PythonKeyError(sourceKey); }
                        string sourceClass = JsonValues.ToClr(sourceNode["class_type"]) as string ?? throw PythonKeyError("class_type");
                        if (!owner._registry.TryGet(sourceClass, out var sourceRegistration)) { throw PythonKeyError(sourceClass); }
                        var outputsOfSource = sourceRegistration.Schema.Outputs;
                        object? slotValue = JsonValues.ToClr(linkArray[1]);
                        if (slotValue is not (long or BigInteger or bool))
                        {
                            throw new NodeException("TypeError", $"tuple indices must be integers or slices, not {Py.TypeName(slotValue)}");
                        }
                        BigInteger slot = slotValue is bool sb ? (sb ? 1 : 0) : slotValue is long sl ? sl : (BigInteger)slotValue;
                        if (slot < 0) { slot += outputsOfSource.Count; }
                        if (slot < 0 || slot >= outputsOfSource.Count) { throw new NodeException("IndexError", "tuple index out of range"); }
                        string receivedType = outputsOfSource[(int)slot].Type;
                        if (!sourceRegistration.Schema.VariantOutputTypes) { receivedTypes[x] = receivedType; }
                        string? declaredType = spec is ComboInput && schema.Flavor == NodeFlavor.Classic ? null : spec.Type;
                        if (!wantsTypes && !TypesMatch(receivedType, declaredType))
                        {
                            string declaredText = declaredType ?? Py.Str(((ComboInput)spec).GetOptions(owner._services));
                            errors.Add(ErrorObject("return_type_mismatch", "Return type mismatch between linked nodes",
                                $"{x}, received_type({receivedType}) mismatch input_type({declaredText})", new JsonObject
                                {
                                    ["input_name"] = x,
                                    ["input_config"] = Config(spec, schema.Flavor),
                                    ["received_type"] = receivedType,
                                    ["linked_node"] = GraphBuilder.CloneValue(raw),
                                }));
                            continue;
                        }
                        try
                        {
                            var inner = await ValidateNodeAsync(sourceId).ConfigureAwait(false);
                            if (!inner.Valid) { valid = false; }
                        }
                        catch (StaticCycleException)
                        {
                            throw;
                        }
                        catch (Exception ex)
                        {
                            valid = false;
                            string text = Py.ExceptionText(ex);
                            Memoize(sourceId, new NodeResult(false,
                            [
                                ErrorObject("exception_during_inner_validation", "Exception when validating inner node", text, new JsonObject
                                {
                                    ["input_name"] = x,
                                    ["input_config"] = Config(spec, schema.Flavor),
                                    ["exception_message"] = text,
                                    ["exception_type"] = Py.ExceptionTypeName(ex),
                                    ["traceback"] = Py.Traceback(ex),
                                    ["linked_node"] = GraphBuilder.CloneValue(raw),
                                }),
                            ]));
                        }
                        continue;
                    }

                    // A widget value.
                    if (raw is JsonObject wrapper && wrapper.TryGetPropertyValue("__value__", out JsonNode? unwrapped))
                    {
                        wrapper.Remove("__value__");
                        raw = unwrapped;
                        inputs[x] = raw;
                    }
                    object? value = JsonValues.ToClr(raw);
                    if (!Coercion.TryCoerce(spec.Type, value, out object? coerced, out string conversionError))
                    {
                        errors.Add(ErrorObject("invalid_input_type", $"Failed to convert an input value to a {spec.Type} value",
                            $"{x}, {Py.Str(value)}, {conversionError}", new JsonObject
                            {
                                ["input_name"] = x,
                                ["input_config"] = Config(spec, schema.Flavor),
                                ["received_value"] = GraphBuilder.CloneValue(raw),
                                ["exception_message"] = conversionError,
                            }));
                        continue;
                    }
                    if (spec.Type is "INT" or "FLOAT" or "STRING" or "BOOLEAN")
                    {
                        raw = JsonValues.FromClr(coerced);
                        inputs[x] = raw;
                        value = JsonValues.ToClr(raw);
                    }
                    if (vfParams.Contains(x) || kwargs) { continue; }

                    var config = Config(spec, schema.Flavor);
                    var options = (JsonObject)config[1]!;
                    if (options.TryGetPropertyValue("min", out var minNode) && Coercion.Compare(value, JsonValues.ToClr(minNode)) < 0)
                    {
                        errors.Add(ErrorObject("value_smaller_than_min", $"Value {Py.Str(value)} smaller than min of {Py.Str(JsonValues.ToClr(minNode))}", x,
                            new JsonObject { ["input_name"] = x, ["input_config"] = config, ["received_value"] = GraphBuilder.CloneValue(raw) }));
                        continue;
                    }
                    if (options.TryGetPropertyValue("max", out var maxNode) && Coercion.Compare(value, JsonValues.ToClr(maxNode)) > 0)
                    {
                        errors.Add(ErrorObject("value_bigger_than_max", $"Value {Py.Str(value)} bigger than max of {Py.Str(JsonValues.ToClr(maxNode))}", x,
                            new JsonObject { ["input_name"] = x, ["input_config"] = config, ["received_value"] = GraphBuilder.CloneValue(raw) }));
                        continue;
                    }
                    if (spec is ComboInput combo)
                    {
                        var comboOptions = combo.GetOptions(owner._services);
                        if (!comboOptions.Any(o => Coercion.LooseEquals(value, o)))
                        {
                            bool longList = comboOptions.Count > 20;
                            string listInfo = longList ? $"(list of length {comboOptions.Count})" : Py.Str(comboOptions);
                            errors.Add(ErrorObject("value_not_in_list", "Value not in list", $"{x}: '{Py.Str(value)}' not in {listInfo}", new JsonObject
                            {
                                ["input_name"] = x,
                                ["input_config"] = longList ? null : config,
                                ["received_value"] = GraphBuilder.CloneValue(raw),
                            }));
                            continue;
                        }
                    }
                }

                if (signature is not null && (vfParams.Count > 0 || kwargs || wantsTypes))
                {
                    var filtered = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var (name, rawValue) in inputs)
                    {
                        var declared = schema.FindInput(name);
                        object? constant;
                        if (rawValue is JsonArray && declared is not { RawLink: true })
                        {
                            constant = null;
                        }
                        else if (declared is not null)
                        {
                            constant = JsonValues.ToClr(rawValue);
                        }
                        else
                        {
                            continue;
                        }
                        if (vfParams.Contains(name) || kwargs) { filtered[name] = constant; }
                    }
                    var keys = filtered.Keys.ToList();
                    if (wantsTypes) { keys.Add("input_types"); }
                    var node0 = registration.Create();
                    var result = await node0.ValidateInputsAsync(new NodeInputs(filtered), receivedTypes, owner._services).ConfigureAwait(false);
                    if (!result.IsValid)
                    {
                        foreach (string key in keys)
                        {
                            string details = result.Reason is null ? key : $"{key} - {result.Reason}";
                            errors.Add(ErrorObject("custom_validation_failed", "Custom validation failed for node", details, new JsonObject { ["input_name"] = key }));
                        }
                    }
                }

                var outcome = errors.Count > 0 || !valid ? new NodeResult(false, errors) : new NodeResult(true, []);
                Memoize(id, outcome);
                return outcome;
            }
            finally
            {
                _inProgress.Remove(id);
            }
        }
    }
}
