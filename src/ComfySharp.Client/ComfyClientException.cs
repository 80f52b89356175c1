using System.Net;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>The server answered with an unexpected status.</summary>
public class ComfyClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ComfyClientException() { }

    /// <summary>Creates the exception.</summary>
    public ComfyClientException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ComfyClientException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a status code and body.</summary>
    public ComfyClientException(string message, HttpStatusCode statusCode, string body) : base(message)
    {
        StatusCode = statusCode;
        Body = body;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The reply body.</summary>
    public string Body { get; } = "";
}

/// <summary><c>POST /prompt</c> was rejected (400): <c>error</c> and per-node <c>node_errors</c>.</summary>
public sealed class ComfyPromptException : ComfyClientException
{
    /// <summary>Creates the exception.</summary>
    public ComfyPromptException() { }

    /// <summary>Creates the exception.</summary>
    public ComfyPromptException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ComfyPromptException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception from the reply.</summary>
    public ComfyPromptException(JsonObject reply, string body)
        : base(Describe(reply), HttpStatusCode.BadRequest, body)
    {
        ArgumentNullException.ThrowIfNull(reply);
        JsonObject error = reply["error"] as JsonObject ?? [];
        ErrorType = error["type"]?.GetValue<string>() ?? "";
        ErrorMessage = error["message"]?.GetValue<string>() ?? "";
        Details = error["details"]?.GetValue<string>() ?? "";
        NodeErrors = reply["node_errors"] as JsonObject ?? [];
    }

    /// <summary><c>error.type</c> (e.g. <c>prompt_outputs_failed_validation</c>).</summary>
    public string ErrorType { get; } = "";

    /// <summary><c>error.message</c>.</summary>
    public string ErrorMessage { get; } = "";

    /// <summary><c>error.details</c>.</summary>
    public string Details { get; } = "";

    /// <summary>Node id → {errors, dependent_outputs, class_type}.</summary>
    public JsonObject NodeErrors { get; } = [];

    private static string Describe(JsonObject reply)
    {
        var parts = new List<string>();
        JsonObject? error = reply["error"] as JsonObject;
        string message = error?["message"]?.GetValue<string>() ?? "Prompt rejected";
        string details = error?["details"]?.GetValue<string>() ?? "";
        parts.Add(details.Length > 0 ? $"{message}: {details}" : message);
        if (reply["node_errors"] is JsonObject nodeErrors)
        {
            foreach ((string id, JsonNode? node) in nodeErrors)
            {
                string classType = node?["class_type"]?.GetValue<string>() ?? "?";
                foreach (JsonNode? e in node?["errors"] as JsonArray ?? [])
                {
                    parts.Add($"node {id} ({classType}): {e?["message"]?.GetValue<string>()}: {e?["details"]?.GetValue<string>()}");
                }
            }
        }
        return string.Join("; ", parts);
    }
}

/// <summary>A prompt ran and ended with an error or an interrupt.</summary>
public sealed class ComfyExecutionException : ComfyClientException
{
    /// <summary>Creates the exception.</summary>
    public ComfyExecutionException() { }

    /// <summary>Creates the exception.</summary>
    public ComfyExecutionException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ComfyExecutionException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a finished history entry.</summary>
    public ComfyExecutionException(HistoryEntry entry)
        : base(Describe(entry ?? throw new ArgumentNullException(nameof(entry))))
    {
        Entry = entry;
    }

    /// <summary>The history entry of the failed run.</summary>
    public HistoryEntry? Entry { get; }

    private static string Describe(HistoryEntry entry)
    {
        if (entry.Error is { } error)
        {
            return $"Node {error["node_id"]} ({error["node_type"]}) failed: {error["exception_type"]}: {error["exception_message"]?.GetValue<string>().TrimEnd()}";
        }
        return entry.Interrupted ? "The prompt was interrupted." : "The prompt failed.";
    }
}
