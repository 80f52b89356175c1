using System.Numerics;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;
using ComfySharp.Engine.Schema;

namespace ComfySharp.Engine.Validation;

/// <summary>One node's validation, split by error kind: required inputs, links, widget values and the node's own check.</summary>
public sealed partial class PromptValidator
{
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
                var expanded = schema.ExpandInputs(inputs).ToList();
                var required = new HashSet<string>(expanded.Where(e => e.Required).Select(e => e.Spec.Name), StringComparer.Ordinal);
                foreach (var (spec, _) in expanded)
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
                        if (!await ValidateLinkAsync(x, spec, schema, linkArray, raw, errors, receivedTypes, wantsTypes).ConfigureAwait(false))
                        {
                            valid = false;
                        }
                        continue;
                    }
                    ValidateWidget(x, spec, schema, inputs, raw, errors, vfParams, kwargs);
                }

                await RunCustomValidationAsync(registration, schema, inputs, receivedTypes, errors).ConfigureAwait(false);

                var outcome = errors.Count > 0 || !valid ? new NodeResult(false, errors) : new NodeResult(true, []);
                Memoize(id, outcome);
                return outcome;
            }
            finally
            {
                _inProgress.Remove(id);
            }
        }

        // A linked input: bad_linked_input, return_type_mismatch, or the linked node's own validation (its
        // exception recorded as exception_during_inner_validation). Returns false when the linked node is invalid.
        private async ValueTask<bool> ValidateLinkAsync(string x, InputSpec spec, NodeSchema schema, JsonArray linkArray, JsonNode raw,
            List<JsonObject> errors, Dictionary<string, string> receivedTypes, bool wantsTypes)
        {
            bool upstreamValid = true;
            if (linkArray.Count != 2)
            {
                errors.Add(ErrorObject("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", x, new JsonObject
                {
                    ["input_name"] = x,
                    ["input_config"] = Config(spec, schema.Flavor),
                    ["received_value"] = GraphBuilder.CloneValue(raw),
                }));
            return upstreamValid;
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
            return upstreamValid;
        }
        try
        {
            var inner = await ValidateNodeAsync(sourceId).ConfigureAwait(false);
            if (!inner.Valid) { upstreamValid = false; }
        }
        catch (StaticCycleException)
        {
            throw;
        }
        catch (Exception ex)
        {
            upstreamValid = false;
            string text = Py.ExceptionText(ex);
            Memoize(sourceId, new NodeResult(false,
            [
                ErrorObject("exception_during_inner_validation", "Exception when validating inner node", text, new JsonObject
                {
                    ["input_name"] = x,
                    ["input_config"] = Config(spec, schema.Flavor),
                    ["exception_message"] = text,
                    ["exception_type"] = Py.ExceptionTypeName(ex),
                    ["traceback"] = Py.Traceback(ex, withFileInfo: false),
                    ["linked_node"] = GraphBuilder.CloneValue(raw),
                }),
            ]));
        }
            return upstreamValid;
        }

        // A widget value: invalid_input_type (coercion), value_smaller_than_min, value_bigger_than_max, value_not_in_list.
        // Coerced values replace the submitted ones in place.
        private void ValidateWidget(string x, InputSpec spec, NodeSchema schema, JsonObject inputs, JsonNode? raw, List<JsonObject> errors,
            IReadOnlyList<string> vfParams, bool kwargs)
        {
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
            return;
        }
        if (spec.Type is "INT" or "FLOAT" or "STRING" or "BOOLEAN")
        {
            raw = JsonValues.FromClr(coerced);
            inputs[x] = raw;
            value = JsonValues.ToClr(raw);
        }
        if (vfParams.Contains(x) || kwargs) { return; }

        var config = Config(spec, schema.Flavor);
        var options = (JsonObject)config[1]!;
        if (options.TryGetPropertyValue("min", out var minNode) && Coercion.Compare(value, JsonValues.ToClr(minNode)) < 0)
        {
            errors.Add(ErrorObject("value_smaller_than_min", $"Value {Py.Str(value)} smaller than min of {Py.Str(JsonValues.ToClr(minNode))}", x,
                new JsonObject { ["input_name"] = x, ["input_config"] = config, ["received_value"] = GraphBuilder.CloneValue(raw) }));
            return;
        }
        if (options.TryGetPropertyValue("max", out var maxNode) && Coercion.Compare(value, JsonValues.ToClr(maxNode)) > 0)
        {
            errors.Add(ErrorObject("value_bigger_than_max", $"Value {Py.Str(value)} bigger than max of {Py.Str(JsonValues.ToClr(maxNode))}", x,
                new JsonObject { ["input_name"] = x, ["input_config"] = config, ["received_value"] = GraphBuilder.CloneValue(raw) }));
            return;
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
                return;
            }
        }
        }

        // The node's own VALIDATE_INPUTS: custom_validation_failed for each input it was given.
        private async ValueTask RunCustomValidationAsync(NodeRegistration registration, NodeSchema schema, JsonObject inputs,
            Dictionary<string, string> receivedTypes, List<JsonObject> errors)
        {
            var signature = schema.Validation;
            var vfParams = signature?.Parameters ?? [];
            bool wantsTypes = signature?.WantsInputTypes ?? false;
            bool kwargs = signature?.AcceptsAllInputs ?? false;
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
        }
    }
}
