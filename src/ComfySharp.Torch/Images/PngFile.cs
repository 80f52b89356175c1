using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Runtime.Intrinsics;
using System.Text;

namespace ComfySharp.Torch.Images;

/// <summary>A PNG text entry (<c>tEXt</c>, <c>zTXt</c> or <c>iTXt</c> chunk).</summary>
/// <param name="Keyword">1–79 Latin-1 characters.</param>
/// <param name="Text">The value.</param>
public sealed record PngTextEntry(string Keyword, string Text);

/// <summary>
/// Writes 8-bit PNG files with text chunks right after <c>IHDR</c> (where the reference puts them and
/// where the ComfyUI frontend looks for <c>workflow</c>/<c>prompt</c>), and reads text chunks back.
/// Skia's encoder cannot write text chunks, so PNG encoding is done here with zlib at an exact level.
/// </summary>
public static class PngFile
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>
    /// Encodes pixels (1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA channels) as a PNG with zlib
    /// <paramref name="compressionLevel"/> (0–9) and the given text entries in order.
    /// </summary>
    public static byte[] Encode(PixelBuffer image, int compressionLevel, IReadOnlyList<PngTextEntry>? texts = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegative(compressionLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);
        byte colorType = image.Channels switch
        {
            1 => 0,
            2 => 4,
            3 => 2,
            4 => 6,
            _ => throw new ArgumentException($"PNG cannot store {image.Channels} channels.", nameof(image)),
        };
        using var output = new MemoryStream();
        output.Write(Signature);
        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 8; // bit depth
        header[9] = colorType;
        WriteChunk(output, "IHDR", header);
        foreach (PngTextEntry entry in texts ?? [])
        {
            WriteChunk(output, TextChunkType(entry), TextChunkBody(entry));
        }
        WriteChunk(output, "IDAT", Deflate(image, compressionLevel));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>
    /// Returns a copy of <paramref name="png"/> with text chunks inserted right after <c>IHDR</c>
    /// (for PNGs produced by another encoder). Throws <see cref="ImageFormatException"/> when the data is not a PNG.
    /// </summary>
    public static byte[] InsertText(ReadOnlySpan<byte> png, IReadOnlyList<PngTextEntry> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int afterHeader = ChunkEnd(png, Signature.Length, "IHDR");
        using var output = new MemoryStream(png.Length + 256);
        output.Write(png[..afterHeader]);
        foreach (PngTextEntry entry in texts)
        {
            WriteChunk(output, TextChunkType(entry), TextChunkBody(entry));
        }
        output.Write(png[afterHeader..]);
        return output.ToArray();
    }

    /// <summary>Every text entry of a PNG in file order (<c>tEXt</c>, <c>zTXt</c>, <c>iTXt</c>, compressed or not).</summary>
    public static IReadOnlyList<PngTextEntry> ReadText(ReadOnlySpan<byte> png)
    {
        var entries = new List<PngTextEntry>();
        foreach (var (type, body) in Chunks(png))
        {
            PngTextEntry? entry = type switch
            {
                "tEXt" => ParseText(body),
                "zTXt" => ParseCompressedText(body),
                "iTXt" => ParseInternationalText(body),
                _ => null,
            };
            if (entry is not null)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    /// <summary>The chunks of a PNG as (type, body) pairs; stops at <c>IEND</c>. CRCs are not checked.</summary>
    public static IReadOnlyList<(string Type, byte[] Body)> Chunks(ReadOnlySpan<byte> png)
    {
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
        {
            throw new ImageFormatException("Not a PNG file.");
        }
        var chunks = new List<(string, byte[])>();
        int position = Signature.Length;
        while (position + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[position..]);
            if (length > int.MaxValue || position + 12L + length > png.Length)
            {
                throw new ImageFormatException("Truncated PNG chunk.");
            }
            string type = Latin1.GetString(png.Slice(position + 4, 4));
            chunks.Add((type, png.Slice(position + 8, (int)length).ToArray()));
            position += 12 + (int)length;
            if (type == "IEND")
            {
                break;
            }
        }
        return chunks;
    }

    private static int ChunkEnd(ReadOnlySpan<byte> png, int position, string expectedType)
    {
        if (png.Length < position + 12 || !png[..Signature.Length].SequenceEqual(Signature))
        {
            throw new ImageFormatException("Not a PNG file.");
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(png[position..]);
        if (Latin1.GetString(png.Slice(position + 4, 4)) != expectedType || position + 12L + length > png.Length)
        {
            throw new ImageFormatException($"PNG does not start with {expectedType}.");
        }
        return position + 12 + (int)length;
    }

    private static string TextChunkType(PngTextEntry entry) => IsLatin1(entry.Text) ? "tEXt" : "iTXt";

    private static byte[] TextChunkBody(PngTextEntry entry)
    {
        if (entry.Keyword.Length is 0 or > 79 || !IsLatin1(entry.Keyword) || entry.Keyword.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid PNG text keyword '{entry.Keyword}'.", nameof(entry));
        }
        using var body = new MemoryStream();
        body.Write(Latin1.GetBytes(entry.Keyword));
        body.WriteByte(0);
        if (IsLatin1(entry.Text))
        {
            body.Write(Latin1.GetBytes(entry.Text));
        }
        else
        {
            // iTXt: compression flag 0, method 0, empty language tag, empty translated keyword, UTF-8 text.
            body.Write([0, 0, 0, 0]);
            body.Write(Encoding.UTF8.GetBytes(entry.Text));
        }
        return body.ToArray();
    }

    private static bool IsLatin1(string text)
    {
        foreach (char ch in text)
        {
            if (ch > 0xFF)
            {
                return false;
            }
        }
        return true;
    }

    private static PngTextEntry? ParseText(byte[] body)
    {
        int zero = Array.IndexOf(body, (byte)0);
        return zero <= 0 ? null : new PngTextEntry(Latin1.GetString(body, 0, zero), Latin1.GetString(body, zero + 1, body.Length - zero - 1));
    }

    private static PngTextEntry? ParseCompressedText(byte[] body)
    {
        int zero = Array.IndexOf(body, (byte)0);
        if (zero <= 0 || zero + 2 > body.Length)
        {
            return null;
        }
        byte[] text = Inflate(body.AsSpan(zero + 2));
        return new PngTextEntry(Latin1.GetString(body, 0, zero), Latin1.GetString(text));
    }

    private static PngTextEntry? ParseInternationalText(byte[] body)
    {
        int zero = Array.IndexOf(body, (byte)0);
        if (zero <= 0 || zero + 3 > body.Length)
        {
            return null;
        }
        bool compressed = body[zero + 1] != 0;
        int language = Array.IndexOf(body, (byte)0, zero + 3);
        if (language < 0)
        {
            return null;
        }
        int translated = Array.IndexOf(body, (byte)0, language + 1);
        if (translated < 0)
        {
            return null;
        }
        ReadOnlySpan<byte> raw = body.AsSpan(translated + 1);
        byte[] text = compressed ? Inflate(raw) : raw.ToArray();
        return new PngTextEntry(Latin1.GetString(body, 0, zero), Encoding.UTF8.GetString(text));
    }

    private static byte[] Inflate(ReadOnlySpan<byte> data)
    {
        using var input = new MemoryStream(data.ToArray());
        using var zlib = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Writes one PNG chunk: length, type, body, CRC-32 of type and body.</summary>
    internal static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> body)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, body.Length);
        output.Write(four);
        byte[] typeBytes = Latin1.GetBytes(type);
        output.Write(typeBytes);
        output.Write(body);
        var crc = new Crc32();
        crc.Append(typeBytes);
        crc.Append(body);
        BinaryPrimitives.WriteUInt32BigEndian(four, crc.GetCurrentHashAsUInt32());
        output.Write(four);
    }

    private static byte[] Deflate(PixelBuffer image, int level)
    {
        int stride = image.Width * image.Channels;
        // Whole filtered rows go to zlib in large blocks: a write per row (two calls into the native
        // deflater each) cost more than the filtering for small images. The block is pooled scratch:
        // a fresh one per image was the encoder's largest allocation.
        byte[] block = ArrayPool<byte>.Shared.Rent(Math.Max(1, Math.Min(image.Height, Math.Max(1, (256 * 1024) / (stride + 1)))) * (stride + 1));
        try
        {
            using var compressed = new MemoryStream();
            using (var zlib = new ZLibStream(compressed, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
            {
                WriteFilteredRows(zlib, image, block);
            }
            return compressed.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private static void WriteFilteredRows(Stream zlib, PixelBuffer image, byte[] block)
    {
        int stride = image.Width * image.Channels;
        byte[] previous = new byte[stride];
        byte[] current = new byte[stride];
        byte[][] candidates = [new byte[stride], new byte[stride], new byte[stride], new byte[stride], new byte[stride]];
        int used = 0;
        for (int y = 0; y < image.Height; y++)
        {
            Array.Copy(image.Pixels, y * stride, current, 0, stride);
            int best = ChooseFilter(current, previous, image.Channels, candidates);
            if (used + stride + 1 > block.Length)
            {
                zlib.Write(block, 0, used);
                used = 0;
            }
            block[used] = (byte)best;
            Buffer.BlockCopy(candidates[best], 0, block, used + 1, stride);
            used += stride + 1;
            (previous, current) = (current, previous);
        }
        zlib.Write(block, 0, used);
    }

    // The usual PNG heuristic: try the five filters and keep the row whose bytes, read as signed
    // values, have the smallest sum of magnitudes (it predicts the best compression cheaply); ties
    // keep the lower filter number. None, Sub, Up and Average depend only on the unfiltered bytes,
    // so they are computed 32 bytes at a time; Paeth stays scalar and stops as soon as it cannot
    // beat the best so far. The chosen filter and bytes are those of a plain per-byte loop.
    private static int ChooseFilter(byte[] row, byte[] above, int bpp, byte[][] candidates)
    {
        int n = row.Length;
        int head = Math.Min(bpp, n);
        ReadOnlySpan<byte> cur = row, up = above;

        cur.CopyTo(candidates[0]);
        long bestScore = SumMagnitudes(cur);
        int best = 0;

        Span<byte> sub = candidates[1];
        cur[..head].CopyTo(sub);
        Difference(cur[head..], cur[..(n - head)], sub[head..]);
        Consider(SumMagnitudes(sub), 1, ref bestScore, ref best);

        Span<byte> upRow = candidates[2];
        Difference(cur, up, upRow);
        Consider(SumMagnitudes(upRow), 2, ref bestScore, ref best);

        Span<byte> average = candidates[3];
        for (int i = 0; i < head; i++)
        {
            average[i] = unchecked((byte)(cur[i] - (up[i] >> 1)));
        }
        AverageDifference(cur[head..], cur[..(n - head)], up[head..], average[head..]);
        Consider(SumMagnitudes(average), 3, ref bestScore, ref best);

        Span<byte> paeth = candidates[4];
        long score = 0;
        for (int i = 0; i < head; i++)
        {
            // With a = c = 0 the Paeth predictor is the byte above.
            byte v = unchecked((byte)(cur[i] - up[i]));
            paeth[i] = v;
            score += Magnitude(v);
        }
        for (int i = head; i < n && score < bestScore; i++)
        {
            byte v = unchecked((byte)(cur[i] - Paeth(cur[i - bpp], up[i], up[i - bpp])));
            paeth[i] = v;
            score += Magnitude(v);
        }
        Consider(score, 4, ref bestScore, ref best);
        return best;
    }

    private static void Consider(long score, int filter, ref long bestScore, ref int best)
    {
        if (score < bestScore)
        {
            bestScore = score;
            best = filter;
        }
    }

    // destination[i] = a[i] - b[i] (mod 256).
    private static void Difference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> destination)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<byte>.Count <= a.Length; i += Vector256<byte>.Count)
            {
                (Vector256.Create(a[i..]) - Vector256.Create(b[i..])).CopyTo(destination[i..]);
            }
        }
        for (; i < a.Length; i++)
        {
            destination[i] = unchecked((byte)(a[i] - b[i]));
        }
    }

    // destination[i] = x[i] - floor((left[i] + up[i]) / 2) (mod 256); the average of two bytes without
    // overflow is (l & u) + ((l ^ u) >> 1).
    private static void AverageDifference(ReadOnlySpan<byte> x, ReadOnlySpan<byte> left, ReadOnlySpan<byte> up, Span<byte> destination)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<byte>.Count <= x.Length; i += Vector256<byte>.Count)
            {
                Vector256<byte> l = Vector256.Create(left[i..]), u = Vector256.Create(up[i..]);
                Vector256<byte> mean = (l & u) + Vector256.ShiftRightLogical(l ^ u, 1);
                (Vector256.Create(x[i..]) - mean).CopyTo(destination[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            destination[i] = unchecked((byte)(x[i] - ((left[i] + up[i]) >> 1)));
        }
    }

    // Sum of |(sbyte)b|. Abs of -128 wraps to 0x80, which read unsigned is the right magnitude, 128.
    private static long SumMagnitudes(ReadOnlySpan<byte> bytes)
    {
        long total = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<byte>.Count <= bytes.Length; i += Vector256<byte>.Count)
            {
                Vector256<byte> magnitudes = Vector256.Abs(Vector256.Create(bytes[i..]).AsSByte()).AsByte();
                (Vector256<ushort> low, Vector256<ushort> high) = Vector256.Widen(magnitudes);
                total += Vector256.Sum(low + high);
            }
        }
        for (; i < bytes.Length; i++)
        {
            total += Magnitude(bytes[i]);
        }
        return total;
    }

    private static int Magnitude(byte value) => Math.Abs((int)(sbyte)value);

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
