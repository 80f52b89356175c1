using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySharp.Protocol;

/// <summary>Binary WebSocket event numbers (WEBSOCKET.md §5).</summary>
public enum BinaryEventType : uint
{
    /// <summary><c>[1][format][image]</c>.</summary>
    PreviewImage = 1,
    /// <summary>Internal only in the reference; never on the wire.</summary>
    UnencodedPreviewImage = 2,
    /// <summary><c>[3][u32 n][node id][text]</c>.</summary>
    Text = 3,
    /// <summary><c>[4][u32 m][json metadata][image]</c>.</summary>
    PreviewImageWithMetadata = 4,
}

/// <summary>Encoders and decoders of binary frames; all integers are big-endian u32.</summary>
public static class BinaryFrames
{
    /// <summary>Event 1: <paramref name="imageFormat"/> is 1 for JPEG, 2 for PNG.</summary>
    public static byte[] PreviewImage(uint imageFormat, ReadOnlySpan<byte> image)
    {
        byte[] frame = new byte[8 + image.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)BinaryEventType.PreviewImage);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), imageFormat);
        image.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <summary>Event 4: metadata JSON (<c>node_id, prompt_id, display_node_id, parent_node_id, real_node_id, image_type</c>) then the image.</summary>
    public static byte[] PreviewImageWithMetadata(JsonObject metadata, ReadOnlySpan<byte> image)
    {
        byte[] json = PythonJson.SerializeToUtf8(metadata);
        byte[] frame = new byte[8 + json.Length + image.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)BinaryEventType.PreviewImageWithMetadata);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)json.Length);
        json.CopyTo(frame.AsSpan(8));
        image.CopyTo(frame.AsSpan(8 + json.Length));
        return frame;
    }

    /// <summary>The event-4 metadata object in the reference's key order.</summary>
    public static JsonObject PreviewMetadata(string nodeId, string promptId, string displayNodeId, string? parentNodeId, string realNodeId, string imageType) => new()
    {
        ["node_id"] = nodeId,
        ["prompt_id"] = promptId,
        ["display_node_id"] = displayNodeId,
        ["parent_node_id"] = parentNodeId,
        ["real_node_id"] = realNodeId,
        ["image_type"] = imageType,
    };

    /// <summary>Event 3: text shown on a node.</summary>
    public static byte[] Text(string nodeId, string text)
    {
        byte[] id = Encoding.UTF8.GetBytes(nodeId);
        byte[] body = Encoding.UTF8.GetBytes(text);
        byte[] frame = new byte[8 + id.Length + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)BinaryEventType.Text);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)id.Length);
        id.CopyTo(frame.AsSpan(8));
        body.CopyTo(frame.AsSpan(8 + id.Length));
        return frame;
    }

    /// <summary>The event number of a frame (first four bytes).</summary>
    public static uint ReadEventType(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32BigEndian(frame);

    /// <summary>The second u32 of a frame (image format for event 1, a length for events 3 and 4).</summary>
    public static uint ReadSecondWord(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32BigEndian(frame[4..]);
}
