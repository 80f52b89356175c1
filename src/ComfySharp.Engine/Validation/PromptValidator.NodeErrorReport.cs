using System.Text.Json.Nodes;
using ComfySharp.Engine.Graph;

namespace ComfySharp.Engine.Validation;

public sealed partial class PromptValidator
{
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
}
