using System.Text.Json.Nodes;

namespace ComfySharp.Protocol;

/// <summary>WebSocket message type names (WEBSOCKET.md §4).</summary>
public static class MessageTypes
{
    /// <summary>Queue size broadcast.</summary>
    public const string Status = "status";
    /// <summary>Reply to the client's feature flags.</summary>
    public const string FeatureFlags = "feature_flags";
    /// <summary>Prompt started.</summary>
    public const string ExecutionStart = "execution_start";
    /// <summary>Cached node ids.</summary>
    public const string ExecutionCached = "execution_cached";
    /// <summary>A node is about to run; node null = prompt finished.</summary>
    public const string Executing = "executing";
    /// <summary>Step progress.</summary>
    public const string Progress = "progress";
    /// <summary>Per-node progress snapshot.</summary>
    public const string ProgressState = "progress_state";
    /// <summary>A node's UI output.</summary>
    public const string Executed = "executed";
    /// <summary>Prompt succeeded.</summary>
    public const string ExecutionSuccess = "execution_success";
    /// <summary>Prompt failed.</summary>
    public const string ExecutionError = "execution_error";
    /// <summary>Prompt interrupted.</summary>
    public const string ExecutionInterrupted = "execution_interrupted";
}

/// <summary>Builders for the JSON text frames and bodies that the server sends.</summary>
public static class Messages
{
    /// <summary>The envelope <c>{"type": type, "data": data}</c> (<c>type</c> first: clients rely on it).</summary>
    public static JsonObject Envelope(string type, JsonNode? data) => new() { ["type"] = type, ["data"] = data };

    /// <summary>The <c>status</c> payload; <paramref name="sid"/> only in the on-connect message.</summary>
    public static JsonObject StatusData(int queueRemaining, string? sid = null)
    {
        var data = new JsonObject
        {
            ["status"] = new JsonObject { ["exec_info"] = new JsonObject { ["queue_remaining"] = queueRemaining } },
        };
        if (sid is not null)
        {
            data["sid"] = sid;
        }
        return data;
    }

    /// <summary>The body of <c>GET /prompt</c>.</summary>
    public static JsonObject PromptInfo(int queueRemaining) =>
        new() { ["exec_info"] = new JsonObject { ["queue_remaining"] = queueRemaining } };

    /// <summary>The final <c>executing</c> payload that tells scripts the prompt is done.</summary>
    public static JsonObject ExecutingDone(string promptId) => new() { ["node"] = null, ["prompt_id"] = promptId };

    /// <summary>A JSON error object as used by the jobs API: <c>{"error": text}</c>.</summary>
    public static JsonObject Error(string text) => new() { ["error"] = text };

    /// <summary>Milliseconds since the Unix epoch, the unit of every <c>timestamp</c> and <c>create_time</c>.</summary>
    public static long NowMilliseconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>
/// The server's capability flags (<c>/features</c> and the <c>feature_flags</c> reply).
/// </summary>
public static class FeatureFlags
{
    /// <summary>The flag a client sends to receive event-4 previews.</summary>
    public const string SupportsPreviewMetadata = "supports_preview_metadata";

    /// <summary>
    /// Builds the flags. <paramref name="maxUploadSizeIsFloat"/> mirrors the reference, which advertises
    /// a float when <c>--max-upload-size</c> was given explicitly.
    /// </summary>
    public static JsonObject Build(long maxUploadSize, bool maxUploadSizeIsFloat) => new()
    {
        [SupportsPreviewMetadata] = true,
        ["max_upload_size"] = maxUploadSizeIsFloat ? JsonValue.Create((double)maxUploadSize) : JsonValue.Create(maxUploadSize),
        ["extension"] = new JsonObject { ["manager"] = new JsonObject { ["supports_v4"] = true } },
    };

    /// <summary>True when client flags ask for event-4 previews (the JSON boolean <c>true</c> only).</summary>
    public static bool WantsPreviewMetadata(JsonObject? clientFlags) =>
        clientFlags?[SupportsPreviewMetadata] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True;
}
