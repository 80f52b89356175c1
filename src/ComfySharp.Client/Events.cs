using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>A message received on <c>/ws</c>.</summary>
/// <param name="Type">The event name (<c>status</c>, <c>executing</c>, …; <c>preview</c>/<c>text</c> for binary frames).</param>
public abstract record ComfyEvent(string Type)
{
    /// <summary>The prompt the message is about, when it names one.</summary>
    public virtual string? PromptId => null;

    /// <summary>Decodes a text frame.</summary>
    public static ComfyEvent ParseText(string json)
    {
        JsonObject message = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("A WebSocket text frame is not a JSON object.");
        string type = message["type"]?.GetValue<string>() ?? "";
        JsonObject data = message["data"] as JsonObject ?? [];
        string? promptId = data["prompt_id"] is JsonValue p && p.TryGetValue(out string? s) ? s : null;
        return type switch
        {
            "status" => new StatusEvent(data["status"]?["exec_info"]?["queue_remaining"]?.GetValue<int>() ?? 0, data["sid"]?.GetValue<string>(), data),
            "feature_flags" => new FeatureFlagsEvent(data),
            "execution_start" => new ExecutionStartEvent(promptId ?? "", data),
            "execution_cached" => new ExecutionCachedEvent(promptId ?? "", Strings(data["nodes"]), data),
            "executing" => new ExecutingEvent(promptId, data["node"]?.GetValue<string>(), data["display_node"]?.GetValue<string>(), data),
            "progress" => new ProgressEvent(promptId, data["node"]?.GetValue<string>(), Number(data["value"]), Number(data["max"]), data),
            "progress_state" => new ProgressStateEvent(promptId ?? "", data["nodes"] as JsonObject ?? [], data),
            "executed" => new ExecutedEvent(promptId ?? "", data["node"]?.GetValue<string>() ?? "", data["display_node"]?.GetValue<string>(), data["output"] as JsonObject, data),
            "execution_success" => new ExecutionSuccessEvent(promptId ?? "", data),
            "execution_error" => new ExecutionErrorEvent(promptId ?? "", data["node_id"]?.GetValue<string>(), data["node_type"]?.GetValue<string>(),
                data["exception_message"]?.GetValue<string>() ?? "", data["exception_type"]?.GetValue<string>() ?? "", data),
            "execution_interrupted" => new ExecutionInterruptedEvent(promptId ?? "", data["node_id"]?.GetValue<string>(), data["node_type"]?.GetValue<string>(), data),
            _ => new UnknownEvent(type, data),
        };
    }

    /// <summary>Decodes a binary frame (big-endian event word first). Unknown events give <see cref="UnknownBinaryEvent"/>.</summary>
    public static ComfyEvent ParseBinary(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 8)
        {
            throw new FormatException("A binary frame is shorter than 8 bytes.");
        }
        uint eventType = BinaryPrimitives.ReadUInt32BigEndian(frame);
        uint word = BinaryPrimitives.ReadUInt32BigEndian(frame[4..]);
        ReadOnlySpan<byte> rest = frame[8..];
        switch (eventType)
        {
            case 1:
                return new PreviewImageEvent(word == 2 ? "image/png" : "image/jpeg", rest.ToArray(), null);
            case 3:
                {
                    int n = CheckedLength(word, rest.Length);
                    return new TextEvent(Encoding.UTF8.GetString(rest[..n]), Encoding.UTF8.GetString(rest[n..]));
                }
            case 4:
                {
                    int m = CheckedLength(word, rest.Length);
                    JsonObject metadata = JsonNode.Parse(rest[..m]) as JsonObject ?? [];
                    return new PreviewImageEvent(metadata["image_type"]?.GetValue<string>() ?? "image/jpeg", rest[m..].ToArray(), metadata);
                }
            default:
                return new UnknownBinaryEvent(eventType, frame.ToArray());
        }
    }

    private static int CheckedLength(uint length, int available) =>
        length <= (uint)available ? (int)length : throw new FormatException("A binary frame's length word exceeds the frame.");

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n?.GetValue<string>() ?? "").ToList() : [];

    private static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double d) ? d : 0;
}

/// <summary><c>status</c>: the queue size (and, on connect, the session id).</summary>
/// <param name="QueueRemaining">Pending + running.</param>
/// <param name="Sid">The socket's id (connect-time message only).</param>
/// <param name="Data">Raw data.</param>
public sealed record StatusEvent(int QueueRemaining, string? Sid, JsonObject Data) : ComfyEvent("status");

/// <summary><c>feature_flags</c>: the server's capability flags.</summary>
/// <param name="Flags">The flags.</param>
public sealed record FeatureFlagsEvent(JsonObject Flags) : ComfyEvent("feature_flags");

/// <summary><c>execution_start</c>.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Data">Raw data.</param>
public sealed record ExecutionStartEvent(string Id, JsonObject Data) : ComfyEvent("execution_start")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>execution_cached</c>.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Nodes">Cached node ids.</param>
/// <param name="Data">Raw data.</param>
public sealed record ExecutionCachedEvent(string Id, IReadOnlyList<string> Nodes, JsonObject Data) : ComfyEvent("execution_cached")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>executing</c>; <see cref="Node"/> null marks the end of the prompt.</summary>
/// <param name="Id">Prompt id (absent in the reconnect-time message).</param>
/// <param name="Node">The executing node id, or null when the prompt finished.</param>
/// <param name="DisplayNode">The node to highlight.</param>
/// <param name="Data">Raw data.</param>
public sealed record ExecutingEvent(string? Id, string? Node, string? DisplayNode, JsonObject Data) : ComfyEvent("executing")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>progress</c>: a step of a node.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Node">Node id.</param>
/// <param name="Value">Steps done.</param>
/// <param name="Max">Total steps.</param>
/// <param name="Data">Raw data.</param>
public sealed record ProgressEvent(string? Id, string? Node, double Value, double Max, JsonObject Data) : ComfyEvent("progress")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>progress_state</c>: a snapshot of every started node.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Nodes">Node id → {value, max, state, …}.</param>
/// <param name="Data">Raw data.</param>
public sealed record ProgressStateEvent(string Id, JsonObject Nodes, JsonObject Data) : ComfyEvent("progress_state")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>executed</c>: a node's UI output.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Node">Node id.</param>
/// <param name="DisplayNode">Display node id.</param>
/// <param name="Output">The UI dict (null for a cached output node without UI).</param>
/// <param name="Data">Raw data.</param>
public sealed record ExecutedEvent(string Id, string Node, string? DisplayNode, JsonObject? Output, JsonObject Data) : ComfyEvent("executed")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>execution_success</c>.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Data">Raw data.</param>
public sealed record ExecutionSuccessEvent(string Id, JsonObject Data) : ComfyEvent("execution_success")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>execution_error</c>.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="NodeId">The failing node.</param>
/// <param name="NodeType">Its class.</param>
/// <param name="ExceptionMessage">The message.</param>
/// <param name="ExceptionType">The exception's name.</param>
/// <param name="Data">Raw data (traceback, current_inputs…).</param>
public sealed record ExecutionErrorEvent(string Id, string? NodeId, string? NodeType, string ExceptionMessage, string ExceptionType, JsonObject Data) : ComfyEvent("execution_error")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary><c>execution_interrupted</c>.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="NodeId">The node that was running.</param>
/// <param name="NodeType">Its class.</param>
/// <param name="Data">Raw data.</param>
public sealed record ExecutionInterruptedEvent(string Id, string? NodeId, string? NodeType, JsonObject Data) : ComfyEvent("execution_interrupted")
{
    /// <inheritdoc/>
    public override string? PromptId => Id;
}

/// <summary>A text message of a type this client does not model.</summary>
/// <param name="EventType">The type.</param>
/// <param name="Data">Raw data.</param>
public sealed record UnknownEvent(string EventType, JsonObject Data) : ComfyEvent(EventType);

/// <summary>A binary preview (event 1, or event 4 with metadata).</summary>
/// <param name="MediaType"><c>image/jpeg</c> or <c>image/png</c>.</param>
/// <param name="Image">The encoded image.</param>
/// <param name="Metadata">Event-4 metadata (node_id, prompt_id, …), null for event 1.</param>
public sealed record PreviewImageEvent(string MediaType, byte[] Image, JsonObject? Metadata) : ComfyEvent("preview")
{
    /// <inheritdoc/>
    public override string? PromptId => Metadata?["prompt_id"]?.GetValue<string>();
}

/// <summary>A binary text frame (event 3) shown on a node.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Text">The text.</param>
public sealed record TextEvent(string NodeId, string Text) : ComfyEvent("text");

/// <summary>A binary frame with an unknown event number.</summary>
/// <param name="EventNumber">The first word.</param>
/// <param name="Frame">The whole frame.</param>
public sealed record UnknownBinaryEvent(uint EventNumber, byte[] Frame) : ComfyEvent("binary");
