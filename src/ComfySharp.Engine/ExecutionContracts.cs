using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine;

/// <summary>Who receives a message produced during execution (WEBSOCKET.md §4).</summary>
public enum MessageTarget
{
    /// <summary>Only the prompt's client; nobody when the prompt has no client id.</summary>
    ClientOnly,
    /// <summary>The prompt's client, or every socket when the prompt has no client id.</summary>
    ClientOrAll,
    /// <summary>Every socket.</summary>
    All,
}

/// <summary>Identity of the node a preview belongs to (binary event 4 metadata).</summary>
/// <param name="NodeId">Executing id (may be ephemeral).</param>
/// <param name="PromptId">Prompt id.</param>
/// <param name="DisplayNodeId">Display id.</param>
/// <param name="ParentNodeId">Direct creator of an ephemeral node, else null.</param>
/// <param name="RealNodeId">Original graph node.</param>
public sealed record PreviewOrigin(string NodeId, string PromptId, string DisplayNodeId, string? ParentNodeId, string RealNodeId);

/// <summary>
/// Receives everything the executor and queue report, in order. The server turns it into WebSocket
/// frames (one FIFO per socket); tests record it. Implementations must not throw.
/// </summary>
public interface IExecutionMessageSink
{
    /// <summary>A JSON message <c>{"type": type, "data": data}</c> for the given target.</summary>
    void Send(string type, JsonObject data, MessageTarget target, string? clientId);

    /// <summary>A preview image: event 4 to a client that advertised <c>supports_preview_metadata</c>, else event 1 (to the client, or to all when <paramref name="clientId"/> is null).</summary>
    void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId);

    /// <summary>A text for a node (binary event 3), to every socket.</summary>
    void SendText(string nodeId, string text);

    /// <summary>
    /// A text for a node of the prompt whose client is <paramref name="clientId"/>. The default sends it to every
    /// socket, as the reference's core nodes do; a sink that keeps users apart sends it to that client only.
    /// </summary>
    void SendText(string nodeId, string text, string? clientId) => SendText(nodeId, text);

    /// <summary>
    /// Whether a message for this target would reach anyone now. Producers use it to skip building
    /// messages nobody receives (a <c>progress_state</c> snapshot grows with the graph, so building one per
    /// node for no listener would make a prompt quadratic). The default answers true, which is always safe.
    /// </summary>
    bool HasRecipients(MessageTarget target, string? clientId) => true;

    /// <summary>
    /// A JSON message the producer has already serialised as its whole envelope (Python-style, as
    /// <see cref="Send"/> would write it). <c>progress_state</c> uses it: finished nodes' entries are
    /// serialised once and reused in every later snapshot. A sink that needs the object calls
    /// <paramref name="data"/>; the default does exactly that.
    /// </summary>
    void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId) =>
        Send(type, data(), target, clientId);
}

/// <summary>Cache policy (EXECUTION.md §6.4).</summary>
public enum CacheMode
{
    /// <summary>Default: keep only entries whose signature is in the newest graph.</summary>
    Classic,
    /// <summary>Keep up to N entries across prompts.</summary>
    Lru,
    /// <summary>Keep entries until free RAM falls under a threshold.</summary>
    RamPressure,
    /// <summary>Cache nothing.</summary>
    None,
}

/// <summary>Cache configuration.</summary>
/// <param name="Mode">Policy.</param>
/// <param name="LruSize">Entry count for <see cref="CacheMode.Lru"/>.</param>
/// <param name="RamHeadroomGb">Free-RAM threshold for <see cref="CacheMode.RamPressure"/>.</param>
public sealed record CacheOptions(CacheMode Mode = CacheMode.Classic, int LruSize = 0, double RamHeadroomGb = 4.0);

/// <summary>
/// One accepted prompt: the queue tuple of API.md (<c>[number, prompt_id, prompt, extra_data, outputs_to_execute]</c>)
/// plus the sensitive values that never reach history.
/// </summary>
/// <param name="Number">Priority; smaller runs first.</param>
/// <param name="NumberIsFloat">The client supplied <c>number</c>, so it is echoed as a float.</param>
/// <param name="PromptId">Id (client-supplied or a new UUID).</param>
/// <param name="Prompt">The graph after validation's coercion.</param>
/// <param name="ExtraData">extra_data (client_id, extra_pnginfo, preview_method, ...) without sensitive keys.</param>
/// <param name="OutputsToExecute">Valid output node ids, in order.</param>
/// <param name="Sensitive">Sensitive extra_data values (API keys), or null.</param>
public sealed record QueuedPrompt(
    double Number,
    bool NumberIsFloat,
    string PromptId,
    JsonObject Prompt,
    JsonObject ExtraData,
    IReadOnlyList<string> OutputsToExecute,
    JsonObject? Sensitive = null)
{
    /// <summary><c>extra_data.client_id</c>, or null.</summary>
    public string? ClientId => ExtraData["client_id"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
        ? (string?)ExtraData["client_id"] : null;
}

/// <summary>The outcome of validating a prompt (EXECUTION.md §2–§4).</summary>
/// <param name="IsValid">At least one output validated.</param>
/// <param name="Error">The top-level <c>error</c> object when invalid (<c>type</c>, <c>message</c>, <c>details</c>, <c>extra_info</c>).</param>
/// <param name="OutputsToExecute">Output node ids that validated.</param>
/// <param name="NodeErrors">The <c>node_errors</c> object (may be non-empty even when valid).</param>
public sealed record PromptValidation(bool IsValid, JsonObject? Error, IReadOnlyList<string> OutputsToExecute, JsonObject NodeErrors);

/// <summary>How a prompt's execution ended.</summary>
public enum ExecutionOutcome
{
    /// <summary>All requested outputs done.</summary>
    Success,
    /// <summary>A node raised, or a dynamic dependency cycle.</summary>
    Error,
    /// <summary>Interrupted.</summary>
    Interrupted,
}

/// <summary>
/// What the executor hands to history: the <c>outputs</c> and <c>meta</c> objects and the
/// <c>status</c> object (<c>status_str</c>, <c>completed</c>, <c>messages</c>) of API.md §5.3.
/// </summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Outputs">UI per node id.</param>
/// <param name="Meta">Per node id: <c>node_id</c>, <c>display_node</c>, <c>parent_node</c>, <c>real_node_id</c>.</param>
/// <param name="Status">The history status object.</param>
public sealed record ExecutionRecord(ExecutionOutcome Outcome, JsonObject Outputs, JsonObject Meta, JsonObject Status);
