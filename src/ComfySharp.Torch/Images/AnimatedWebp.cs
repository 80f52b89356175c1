using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace ComfySharp.Torch.Images;

/// <summary>
/// Writes animated WebP files: Skia encodes each frame as a still WebP (Skia has no animation encoder in
/// its .NET binding), and its <c>ALPH</c>/<c>VP8 </c>/<c>VP8L</c> chunks go into <c>ANMF</c> frames of an
/// extended (<c>VP8X</c>) RIFF container with an <c>ANIM</c> chunk and an optional <c>EXIF</c> chunk.
/// One frame gives a still extended WebP.
/// </summary>
public static class AnimatedWebp
{
    private const byte AnimationFlag = 0x02;
    private const byte ExifFlag = 0x08;
    private const byte AlphaFlag = 0x10;
    private const int MaxDimension = 1 << 14; // WebP's own limit: 16383 pixels a side

    /// <summary>
    /// Encodes equally sized frames shown <paramref name="durationMilliseconds"/> each, looping forever;
    /// lossy at <paramref name="quality"/> (0–100) unless <paramref name="lossless"/>. <paramref name="exif"/>
    /// (a TIFF structure, see <see cref="ExifAsciiTags"/>) is stored when given.
    /// </summary>
    public static byte[] Encode(IReadOnlyList<PixelBuffer> frames, int durationMilliseconds, bool lossless, int quality, byte[]? exif = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("An animated WebP needs at least one frame.", nameof(frames));
        }
        PixelBuffer first = frames[0];
        if (first.Width >= MaxDimension || first.Height >= MaxDimension)
        {
            throw new ArgumentException($"WebP images are at most {MaxDimension - 1} pixels a side; these frames are {first.Width}x{first.Height}.", nameof(frames));
        }
        if (frames.Any(f => f.Width != first.Width || f.Height != first.Height))
        {
            throw new ArgumentException("Every frame of an animated WebP must have the size of the first.", nameof(frames));
        }
        bool animated = frames.Count > 1;
        bool alpha = frames.Any(f => f.Channels is 2 or 4);
        using var body = new MemoryStream();
        byte[] extended = new byte[10];
        extended[0] = (byte)((animated ? AnimationFlag : 0) | (exif is { Length: > 0 } ? ExifFlag : 0) | (alpha ? AlphaFlag : 0));
        WriteUInt24(extended.AsSpan(4), first.Width - 1);
        WriteUInt24(extended.AsSpan(7), first.Height - 1);
        WriteChunk(body, "VP8X", extended);
        if (animated)
        {
            byte[] animation = new byte[6]; // background colour 0 (transparent black), loop count 0 (forever)
            WriteChunk(body, "ANIM", animation);
        }
        foreach (PixelBuffer frame in frames)
        {
            byte[] data = FrameData(EncodeStill(frame, lossless, quality));
            if (!animated)
            {
                body.Write(data);
                continue;
            }
            byte[] header = new byte[16 + data.Length];
            WriteUInt24(header.AsSpan(6), frame.Width - 1);
            WriteUInt24(header.AsSpan(9), frame.Height - 1);
            WriteUInt24(header.AsSpan(12), Math.Clamp(durationMilliseconds, 0, (1 << 24) - 1));
            header[15] = 0x02; // do not blend with the previous frame; no disposal
            data.CopyTo(header, 16);
            WriteChunk(body, "ANMF", header);
        }
        if (exif is { Length: > 0 })
        {
            WriteChunk(body, "EXIF", exif);
        }
        using var file = new MemoryStream((int)body.Length + 12);
        file.Write("RIFF"u8);
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, checked((uint)(body.Length + 4)));
        file.Write(size);
        file.Write("WEBP"u8);
        body.Position = 0;
        body.CopyTo(file);
        return file.ToArray();
    }

    /// <summary>
    /// A little-endian TIFF structure with one IFD of ASCII entries (how Pillow stores a WebP's EXIF):
    /// tags ascending, each value NUL-terminated. Null when there are no entries.
    /// </summary>
    public static byte[]? ExifAsciiTags(IReadOnlyDictionary<ushort, string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count == 0)
        {
            return null;
        }
        var entries = tags.OrderBy(t => t.Key).Select(t => (t.Key, Value: Encoding.Latin1.GetBytes(t.Value + "\0"))).ToList();
        int directorySize = 2 + (12 * entries.Count) + 4;
        int valuesStart = 8 + directorySize;
        using var values = new MemoryStream();
        byte[] head = new byte[valuesStart];
        "II"u8.CopyTo(head);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(8), (ushort)entries.Count);
        int position = 10;
        foreach (var (tag, value) in entries)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(position), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(position + 2), 2); // ASCII
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(position + 4), (uint)value.Length);
            if (value.Length <= 4)
            {
                value.CopyTo(head, position + 8);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(position + 8), (uint)(valuesStart + values.Length));
                values.Write(value);
                if (values.Length % 2 == 1)
                {
                    values.WriteByte(0); // TIFF offsets are even
                }
            }
            position += 12;
        }
        return [.. head, .. values.ToArray()];
    }

    /// <summary>A still WebP of one frame from Skia: lossless, or lossy at <paramref name="quality"/>.</summary>
    public static byte[] EncodeStill(PixelBuffer frame, bool lossless, int quality)
    {
        ArgumentNullException.ThrowIfNull(frame);
        PixelBuffer rgba = ImageEncoder.ToRgba(frame);
        bool alpha = frame.Channels is 2 or 4;
        var info = new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, alpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        var handle = GCHandle.Alloc(rgba.Pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            var options = new SKWebpEncoderOptions(lossless ? SKWebpEncoderCompression.Lossless : SKWebpEncoderCompression.Lossy, Math.Clamp(quality, 0, 100));
            using SKData data = pixmap.Encode(options) ?? throw new InvalidOperationException("Skia could not encode the frame as WebP.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>The chunks of a RIFF WebP file as (fourcc, payload) pairs.</summary>
    public static IReadOnlyList<(string FourCC, byte[] Payload)> Chunks(ReadOnlySpan<byte> webp)
    {
        if (webp.Length < 12 || !webp[..4].SequenceEqual("RIFF"u8) || !webp.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            throw new ImageFormatException("Not a WebP file.");
        }
        var chunks = new List<(string, byte[])>();
        int position = 12;
        while (position + 8 <= webp.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(webp[(position + 4)..]);
            if (length > int.MaxValue || position + 8L + length > webp.Length)
            {
                throw new ImageFormatException("Truncated WebP chunk.");
            }
            chunks.Add((Encoding.Latin1.GetString(webp.Slice(position, 4)), webp.Slice(position + 8, (int)length).ToArray()));
            position += 8 + (int)length + (int)(length & 1);
        }
        return chunks;
    }

    // The chunks of a still WebP that make up an animation frame: optional ALPH, then VP8 or VP8L.
    private static byte[] FrameData(byte[] still)
    {
        using var data = new MemoryStream();
        foreach (var (fourCC, payload) in Chunks(still))
        {
            if (fourCC is "ALPH" or "VP8 " or "VP8L")
            {
                WriteChunk(data, fourCC, payload);
            }
        }
        if (data.Length == 0)
        {
            throw new ImageFormatException("Skia's WebP has no image data chunk.");
        }
        return data.ToArray();
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)value;
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)(value >> 16);
    }

    private static void WriteChunk(Stream output, string fourCC, ReadOnlySpan<byte> payload)
    {
        output.Write(Encoding.Latin1.GetBytes(fourCC));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)payload.Length);
        output.Write(size);
        output.Write(payload);
        if (payload.Length % 2 == 1)
        {
            output.WriteByte(0);
        }
    }
}
