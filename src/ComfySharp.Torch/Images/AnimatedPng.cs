using System.Buffers.Binary;

namespace ComfySharp.Torch.Images;

/// <summary>
/// Writes animated PNGs (APNG): <c>IHDR</c>, <c>acTL</c>, then per frame an <c>fcTL</c> followed by the
/// zlib data of <see cref="PngFile.Encode"/> (<c>IDAT</c> for the first frame, which is also what
/// decoders without APNG support show, <c>fdAT</c> for the others) and <c>IEND</c>. One frame gives a
/// plain PNG. Text chunks are added with <see cref="PngFile.InsertText"/>.
/// </summary>
public static class AnimatedPng
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes equally sized frames shown <paramref name="delayMilliseconds"/> each, looping forever.</summary>
    public static byte[] Encode(IReadOnlyList<PixelBuffer> frames, int delayMilliseconds, int compressionLevel)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfNegative(delayMilliseconds);
        if (frames.Count == 0)
        {
            throw new ArgumentException("An animated PNG needs at least one frame.", nameof(frames));
        }
        PixelBuffer first = frames[0];
        if (frames.Any(f => f.Width != first.Width || f.Height != first.Height || f.Channels != first.Channels))
        {
            throw new ArgumentException("Every frame of an animated PNG must have the size and channels of the first.", nameof(frames));
        }
        using var output = new MemoryStream();
        output.Write(Signature);
        uint sequence = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            IReadOnlyList<(string Type, byte[] Body)> chunks = PngFile.Chunks(PngFile.Encode(frames[i], compressionLevel));
            if (i == 0)
            {
                PngFile.WriteChunk(output, "IHDR", chunks.First(c => c.Type == "IHDR").Body);
                if (frames.Count > 1)
                {
                    byte[] control = new byte[8];
                    BinaryPrimitives.WriteInt32BigEndian(control, frames.Count);
                    BinaryPrimitives.WriteInt32BigEndian(control.AsSpan(4), 0); // plays: 0 = forever
                    PngFile.WriteChunk(output, "acTL", control);
                }
            }
            if (frames.Count > 1)
            {
                PngFile.WriteChunk(output, "fcTL", FrameControl(sequence++, first.Width, first.Height, delayMilliseconds));
            }
            foreach (var (type, body) in chunks.Where(c => c.Type == "IDAT"))
            {
                if (i == 0)
                {
                    PngFile.WriteChunk(output, type, body);
                    continue;
                }
                byte[] frameData = new byte[4 + body.Length];
                BinaryPrimitives.WriteUInt32BigEndian(frameData, sequence++);
                body.CopyTo(frameData, 4);
                PngFile.WriteChunk(output, "fdAT", frameData);
            }
        }
        PngFile.WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    // sequence, width, height, x, y, delay numerator, delay denominator, dispose (none), blend (source).
    private static byte[] FrameControl(uint sequence, int width, int height, int delayMilliseconds)
    {
        // The delay is a 16-bit fraction: milliseconds over 1000, or whole seconds when that overflows.
        (int numerator, int denominator) = delayMilliseconds <= ushort.MaxValue
            ? (delayMilliseconds, 1000)
            : (Math.Min(ushort.MaxValue, (int)Math.Round(delayMilliseconds / 1000.0)), 1);
        byte[] body = new byte[26];
        BinaryPrimitives.WriteUInt32BigEndian(body, sequence);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(8), height);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(20), (ushort)numerator);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(22), (ushort)denominator);
        return body;
    }
}
