using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;

namespace ComfySharp.Storage.Postgres;

/// <summary>A preview image that crossed from a worker to an API node.</summary>
/// <param name="Image">The image.</param>
/// <param name="Origin">The node and prompt it belongs to.</param>
/// <param name="ClientId">The prompt's client id.</param>
public sealed record RelayedPreview(PreviewImage Image, PreviewOrigin Origin, string? ClientId);

/// <summary>
/// Binary previews from workers to API nodes over <c>NOTIFY</c>, never stored. A preview is an
/// <see cref="EventEnvelope"/> of type <see cref="Type"/> on the events channel; when its image fits
/// (base64) it travels inline, otherwise the envelope announces <c>parts</c> under a relay <c>id</c> and
/// the image follows in parts of <see cref="PartBytes"/> bytes (<c>@id:index:base64</c>), each under the
/// 8000-byte payload limit. Sent by one publisher in order, the parts follow their envelope on the same
/// channel; an API node reassembles them with a <see cref="PreviewAssembler"/>.
/// </summary>
public static class PreviewRelay
{
    /// <summary>The envelope type of a preview.</summary>
    public const string Type = "comfysharp.preview";

    /// <summary>Raw bytes per part (base64: 7,468 characters, with the header under 7,900).</summary>
    public const int PartBytes = 5600;

    /// <summary>The largest image relayed; a larger preview is dropped (previews are best effort).</summary>
    public const int MaxImageBytes = 2 * 1024 * 1024;

    /// <summary>The payloads carrying one preview, in sending order; empty when the image is too large.</summary>
    public static IReadOnlyList<string> Encode(PreviewImage image, PreviewOrigin origin, string? clientId, string relayId)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(origin);
        if (image.Data.Length > MaxImageBytes)
        {
            return [];
        }
        var data = new JsonObject
        {
            ["format"] = (int)image.Format,
            ["node"] = origin.NodeId,
            ["prompt_id"] = origin.PromptId,
            ["display_node"] = origin.DisplayNodeId,
            ["parent_node"] = origin.ParentNodeId,
            ["real_node"] = origin.RealNodeId,
        };
        if (image.Data.Length <= PartBytes)
        {
            data["image"] = Convert.ToBase64String(image.Data.Span);
            return [new EventEnvelope(Type, data, MessageTarget.ClientOrAll, clientId).Serialize()];
        }
        int parts = (image.Data.Length + PartBytes - 1) / PartBytes;
        data["id"] = relayId;
        data["parts"] = parts;
        var payloads = new List<string>(parts + 1) { new EventEnvelope(Type, data, MessageTarget.ClientOrAll, clientId).Serialize() };
        for (int i = 0; i < parts; i++)
        {
            ReadOnlySpan<byte> part = image.Data.Span.Slice(i * PartBytes, Math.Min(PartBytes, image.Data.Length - (i * PartBytes)));
            payloads.Add($"@{relayId}:{i}:{Convert.ToBase64String(part)}");
        }
        return payloads;
    }
}

/// <summary>
/// An API node's side of <see cref="PreviewRelay"/>: takes preview envelopes and parts in delivery order
/// and returns each preview once complete. Bounded: at most <see cref="MaxOpen"/> previews are assembled
/// at once (the oldest is dropped) and an incomplete one is dropped after <see cref="MaxAge"/>.
/// </summary>
public sealed class PreviewAssembler
{
    /// <summary>Previews assembled at once.</summary>
    public const int MaxOpen = 32;

    /// <summary>How long an incomplete preview waits for its parts.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, Pending> _open = new(StringComparer.Ordinal);

    /// <summary>Previews dropped incomplete (too many open, too old, or a part out of place).</summary>
    public long Dropped { get; private set; }

    /// <summary>Takes a preview envelope; returns the preview when its image was inline.</summary>
    public RelayedPreview? Accept(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        JsonObject d = envelope.Data;
        if (d["format"] is not JsonValue formatValue || !formatValue.TryGetValue(out int formatNumber)
            || d["node"] is not JsonValue node || d["prompt_id"] is not JsonValue promptId || d["display_node"] is not JsonValue display || d["real_node"] is not JsonValue real)
        {
            Dropped++;
            return null;
        }
        var format = (PreviewFormat)formatNumber;
        var origin = new PreviewOrigin(node.ToString(), promptId.ToString(), display.ToString(), d["parent_node"] is JsonValue parent ? parent.ToString() : null, real.ToString());
        if (d["image"] is JsonValue inline)
        {
            return new RelayedPreview(new PreviewImage(format, Convert.FromBase64String(inline.ToString())), origin, envelope.ClientId);
        }
        if (d["parts"] is not JsonValue partsValue || !partsValue.TryGetValue(out int parts) || d["id"] is not JsonValue relayId
            || parts < 1 || parts > (PreviewRelay.MaxImageBytes / PreviewRelay.PartBytes) + 1)
        {
            Dropped++;
            return null;
        }
        Expire();
        if (_open.Count >= MaxOpen)
        {
            _open.Remove(_open.MinBy(kv => kv.Value.Started).Key);
            Dropped++;
        }
        _open[relayId.ToString()] = new Pending(format, origin, envelope.ClientId, new string?[parts], DateTime.UtcNow);
        return null;
    }

    /// <summary>Takes a part (<c>@id:index:base64</c>); returns the preview once its last part arrived.</summary>
    public RelayedPreview? AcceptPart(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        int first = payload.IndexOf(':', StringComparison.Ordinal);
        int second = first < 0 ? -1 : payload.IndexOf(':', first + 1);
        if (second < 0 || !_open.TryGetValue(payload[1..first], out Pending? pending)
            || !int.TryParse(payload.AsSpan(first + 1, second - first - 1), System.Globalization.CultureInfo.InvariantCulture, out int index)
            || index < 0 || index >= pending.Parts.Length)
        {
            return null;
        }
        if (pending.Parts[index] is null)
        {
            pending.Received++;
        }
        pending.Parts[index] = payload[(second + 1)..];
        if (pending.Received < pending.Parts.Length)
        {
            return null;
        }
        _open.Remove(payload[1..first]);
        using var image = new MemoryStream();
        foreach (string? part in pending.Parts)
        {
            image.Write(Convert.FromBase64String(part!));
        }
        return new RelayedPreview(new PreviewImage(pending.Format, image.ToArray()), pending.Origin, pending.ClientId);
    }

    private void Expire()
    {
        DateTime limit = DateTime.UtcNow - MaxAge;
        foreach (string id in _open.Where(kv => kv.Value.Started < limit).Select(kv => kv.Key).ToList())
        {
            _open.Remove(id);
            Dropped++;
        }
    }

    private sealed class Pending(PreviewFormat format, PreviewOrigin origin, string? clientId, string?[] parts, DateTime started)
    {
        public PreviewFormat Format { get; } = format;

        public PreviewOrigin Origin { get; } = origin;

        public string? ClientId { get; } = clientId;

        public string?[] Parts { get; } = parts;

        public DateTime Started { get; } = started;

        public int Received { get; set; }
    }
}
