using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace ComfySharp.Server.Files;

/// <summary>Re-encoding for <c>/view</c> previews and channels, and the RGBA merge of <c>/upload/mask</c>.</summary>
internal static class ImageTools
{
    public static SKBitmap? Decode(string path)
    {
        using var data = SKData.Create(path);
        if (data is null)
        {
            return null;
        }
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return null;
        }
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            return null;
        }
        return bitmap;
    }

    /// <summary>True when the source file carries an alpha channel (PIL mode RGBA/LA/PA).</summary>
    public static bool HasAlpha(string path)
    {
        using var codec = SKCodec.Create(path);
        return codec is not null && codec.Info.AlphaType != SKAlphaType.Opaque;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>Copy with alpha forced opaque (PIL's convert("RGB")).</summary>
    public static SKBitmap DropAlpha(SKBitmap source)
    {
        SKBitmap copy = source.Copy();
        Span<byte> px = copy.GetPixelSpan();
        for (int i = 3; i < px.Length; i += 4)
        {
            px[i] = 255;
        }
        return copy;
    }

    /// <summary>An image whose colour is 0 and whose alpha is the source's alpha (or 255 when it has none).</summary>
    public static SKBitmap AlphaOnly(SKBitmap source, bool sourceHasAlpha)
    {
        SKBitmap copy = source.Copy();
        Span<byte> px = copy.GetPixelSpan();
        for (int i = 0; i < px.Length; i += 4)
        {
            px[i] = px[i + 1] = px[i + 2] = 0;
            if (!sourceHasAlpha)
            {
                px[i + 3] = 255;
            }
        }
        return copy;
    }

    /// <summary>The original with its alpha replaced by the mask's alpha (mask resized to match when needed).</summary>
    public static SKBitmap MergeAlpha(SKBitmap original, SKBitmap mask)
    {
        SKBitmap result = original.Copy();
        SKBitmap sized = mask.Width == original.Width && mask.Height == original.Height
            ? mask
            : mask.Resize(new SKImageInfo(original.Width, original.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
        try
        {
            Span<byte> dst = result.GetPixelSpan();
            ReadOnlySpan<byte> src = sized.GetPixelSpan();
            for (int i = 3; i < dst.Length; i += 4)
            {
                dst[i] = src[i];
            }
        }
        finally
        {
            if (!ReferenceEquals(sized, mask))
            {
                sized.Dispose();
            }
        }
        return result;
    }

    /// <summary>The tEXt chunks of a PNG file (keyword, text), in file order; empty for other files.</summary>
    public static List<(string Key, string Value)> ReadPngText(byte[] png)
    {
        var result = new List<(string, string)>();
        if (png.Length < 8 || png[0] != 0x89 || png[1] != (byte)'P')
        {
            return result;
        }
        int pos = 8;
        while (pos + 8 <= png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            if (length < 0 || pos + 12 + length > png.Length)
            {
                break;
            }
            ReadOnlySpan<byte> data = png.AsSpan(pos + 8, length);
            int zero = data.IndexOf((byte)0);
            if (type == "tEXt" && zero > 0)
            {
                result.Add((Encoding.Latin1.GetString(data[..zero]), Encoding.Latin1.GetString(data[(zero + 1)..])));
            }
            else if (type == "iTXt" && zero > 0 && zero + 2 < data.Length && data[zero + 1] == 0)
            {
                // keyword\0 compression-flag compression-method language\0 translated\0 text
                ReadOnlySpan<byte> rest = data[(zero + 3)..];
                int lang = rest.IndexOf((byte)0);
                if (lang >= 0)
                {
                    rest = rest[(lang + 1)..];
                    int translated = rest.IndexOf((byte)0);
                    if (translated >= 0)
                    {
                        result.Add((Encoding.Latin1.GetString(data[..zero]), Encoding.UTF8.GetString(rest[(translated + 1)..])));
                    }
                }
            }
            if (type == "IEND")
            {
                break;
            }
            pos += 12 + length;
        }
        return result;
    }

    /// <summary>Inserts tEXt chunks right after IHDR (Skia cannot write them).</summary>
    public static byte[] AddPngText(byte[] png, IReadOnlyList<(string Key, string Value)> texts)
    {
        if (texts.Count == 0)
        {
            return png;
        }
        int ihdrEnd = 8 + 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8));
        using var ms = new MemoryStream();
        ms.Write(png, 0, ihdrEnd);
        foreach (var (key, value) in texts)
        {
            byte[] data = [.. Encoding.Latin1.GetBytes(key), 0, .. Encoding.Latin1.GetBytes(value)];
            WriteChunk(ms, "tEXt", data);
        }
        ms.Write(png, ihdrEnd, png.Length - ihdrEnd);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        stream.Write(header);
        stream.Write(data);
        uint crc = Crc32(header[4..], data);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        stream.Write(crcBytes);
    }

    private static uint Crc32(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in type)
        {
            crc = Step(crc, b);
        }
        foreach (byte b in data)
        {
            crc = Step(crc, b);
        }
        return crc ^ 0xFFFFFFFF;

        static uint Step(uint crc, byte b)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
            return crc;
        }
    }
}
