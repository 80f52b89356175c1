using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;

namespace ComfySharp.Engine.Validation;

/// <summary>
/// Validates a submitted prompt exactly as the reference does (EXECUTION.md §2–§4): structural checks,
/// output selection, per-input checks, custom validation, and in-place coercion of widget values.
/// </summary>
public sealed partial class PromptValidator
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
                    new JsonObject { ["exception_type"] = Py.ExceptionTypeName(ex), ["traceback"] = Py.Traceback(ex, withFileInfo: false) });
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
}
