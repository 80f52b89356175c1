using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Execution;

/// <summary>What one call of a node sees of the running prompt (hidden values, progress, interrupts).</summary>
internal sealed class ExecutionNodeContext : NodeContext
{
    private readonly ExecutionRun _run;
    private int _graphIndex;

    public ExecutionNodeContext(ExecutionRun run, string nodeId, int callIndex)
    {
        _run = run;
        NodeId = nodeId;
        CallIndex = callIndex;
        DisplayNodeId = run.Graph.GetDisplayNodeId(nodeId);
    }

    public override string PromptId => _run.Prompt.PromptId;
    public override string NodeId { get; }
    public override string DisplayNodeId { get; }
    public override int CallIndex { get; }
    public override JsonObject Prompt => _run.Prompt.Prompt;
    public override JsonObject? ExtraPngInfo => _run.Prompt.ExtraData["extra_pnginfo"] as JsonObject;
    public override JsonObject ExtraData => _run.Prompt.ExtraData;
    public override IDynamicPrompt DynamicPrompt => _run.Graph;
    public override IServiceProvider Services => _run.Services;
    public override CancellationToken CancellationToken => _run.NodeToken;
    public override string PreviewMethod => _run.PreviewMethod;

    public override void ReportProgress(double value, double max, PreviewImage? preview = null) =>
        _run.ReportProgressBar(NodeId, Python.Py.FloatNode(Math.Min(value, max)), Python.Py.FloatNode(max), preview);

    public override void ReportProgress(long value, long max, PreviewImage? preview = null) =>
        _run.ReportProgressBar(NodeId, JsonValue.Create(Math.Min(value, max)), JsonValue.Create(max), preview);

    public override void SetProgress(double value, double max) =>
        _run.ReportProgressApi(NodeId, Python.Py.FloatNode(value), Python.Py.FloatNode(max));

    public override void SendText(string text) => _run.SendText(NodeId, text);

    public override string NextExpansionPrefix() => $"{NodeId}.{CallIndex}.{_graphIndex++}.";
}
