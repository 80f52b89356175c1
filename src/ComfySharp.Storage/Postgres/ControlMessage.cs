using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// A command from an API node to the workers, sent with <c>NOTIFY</c> on <see cref="Channel"/>: today
/// <c>interrupt</c> (one prompt by id, or whatever runs when the id is null).
/// </summary>
/// <param name="Operation">What to do (<see cref="Interrupt"/>).</param>
/// <param name="PromptId">The prompt it concerns; null for every running prompt.</param>
public sealed record ControlMessage(string Operation, string? PromptId)
{
    /// <summary>The channel every worker listens on.</summary>
    public const string Channel = "comfysharp_control";

    /// <summary>Interrupt the running prompt (<c>/interrupt</c>, cancel of a running prompt).</summary>
    public const string Interrupt = "interrupt";

    /// <summary>The payload text.</summary>
    public string Serialize() => PythonJson.Serialize(new JsonObject { ["op"] = Operation, ["prompt_id"] = PromptId });

    /// <summary>Reads a payload; null when it is not a control message.</summary>
    public static ControlMessage? Parse(string payload)
    {
        try
        {
            return PythonJson.Parse(payload) is JsonObject o && o["op"] is JsonValue op
                ? new ControlMessage((string)op!, o["prompt_id"] is JsonValue id ? (string?)id : null)
                : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
