using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// A worker's message sink: every JSON message goes to the API nodes through the <see cref="EventPublisher"/>
/// (the worker has no sockets of its own); preview images too, in parts under the payload limit, never
/// stored, and dropped first when the database falls behind (<see cref="PreviewRelay"/>).
/// </summary>
/// <param name="publisher">The publisher.</param>
public sealed class RelaySink(EventPublisher publisher) : IExecutionMessageSink
{
    /// <inheritdoc />
    public void Send(string type, JsonObject data, MessageTarget target, string? clientId) =>
        publisher.Publish(new EventEnvelope(type, data, target, clientId));

    /// <inheritdoc />
    public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId) => publisher.PublishPreview(image, origin, clientId);

    /// <inheritdoc />
    public void SendText(string nodeId, string text) =>
        publisher.Publish(new EventEnvelope(EventEnvelope.TextType, new JsonObject { ["node"] = nodeId, ["text"] = text }, MessageTarget.All, null));

    /// <inheritdoc />
    public void SendText(string nodeId, string text, string? clientId) =>
        publisher.Publish(new EventEnvelope(EventEnvelope.TextType, new JsonObject { ["node"] = nodeId, ["text"] = text }, MessageTarget.ClientOrAll, clientId));
}
