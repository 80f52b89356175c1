using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Protocol;

namespace ComfySharp.Storage.Postgres;

/// <summary>An execution message travelling from a worker to the API nodes (what <see cref="IExecutionMessageSink.Send"/> got).</summary>
/// <param name="Type">The message type; <see cref="TextType"/> for a node's text (binary event 3).</param>
/// <param name="Data">The message data.</param>
/// <param name="Target">Who receives it.</param>
/// <param name="ClientId">The prompt's client id.</param>
public sealed record EventEnvelope(string Type, JsonObject Data, MessageTarget Target, string? ClientId)
{
    /// <summary>The type carrying <see cref="IExecutionMessageSink.SendText(string, string, string?)"/> (data: <c>node</c>, <c>text</c>).</summary>
    public const string TextType = "comfysharp.text";

    /// <summary>The channel the envelopes are notified on.</summary>
    public const string Channel = "comfysharp_events";

    /// <summary>The envelope as Python-style JSON text (the engine's number formatting survives the trip).</summary>
    public string Serialize() => PythonJson.Serialize(new JsonObject
    {
        ["type"] = Type,
        ["data"] = Data.DeepClone(),
        ["target"] = (int)Target,
        ["client_id"] = ClientId,
    });

    /// <summary>Reads an envelope; null when the text is not one.</summary>
    public static EventEnvelope? Parse(string text)
    {
        try
        {
            if (PythonJson.Parse(text) is JsonObject o && o["type"] is JsonValue type && o["data"] is JsonObject data && o["target"] is JsonValue target)
            {
                o.Remove("data");
                return new EventEnvelope((string)type!, data, (MessageTarget)(int)target, o["client_id"] is JsonValue c ? (string?)c : null);
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
        }
        return null;
    }
}
