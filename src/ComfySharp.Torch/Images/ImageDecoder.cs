using System.Runtime.InteropServices;
using SkiaSharp;

namespace ComfySharp.Torch.Images;

/// <summary>One decoded frame: RGBA pixels (not premultiplied) after the EXIF orientation was applied.</summary>
/// <param name="Rgba">The pixels, 4 channels.</param>
/// <param name="HasAlpha">True when the file stores transparency for this frame (an alpha band or a transparent palette entry).</param>
public sealed record DecodedFrame(PixelBuffer Rgba, bool HasAlpha);

/// <summary>A decoded image file: its format and frames (one for still pictures).</summary>
/// <param name="Format">The encoded format as Skia identified it.</param>
/// <param name="Frames">Every frame in file order, composited as an animation player shows it.</param>
public sealed record DecodedImage(string Format, IReadOnlyList<DecodedFrame> Frames);

/// <summary>
/// Decodes PNG, JPEG, WebP, BMP, GIF (all frames) and ICO through Skia, always as unpremultiplied
/// RGBA so that colour values under transparent pixels survive. Truncated files yield what could be
/// decoded (the reference retries with truncated loading allowed); unknown or corrupt data and
/// pictures over the pixel cap raise <see cref="ImageFormatException"/>.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="data"/>; <paramref name="maxPixels"/> caps width × height × frames.</summary>
    public static DecodedImage Decode(byte[] data, long maxPixels, bool allFrames = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        // The codec takes ownership of the stream and disposes it with itself.
        var stream = new SKMemoryStream(data);
        SKCodec? created = SKCodec.Create(stream, out SKCodecResult createResult);
        if (created is null)
        {
            stream.Dispose();
            throw new ImageFormatException($"cannot identify image file ({Describe(createResult)})");
        }
        using SKCodec codec = created;
        SKImageInfo info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageFormatException("The image has no pixels.");
        }
        SKCodecFrameInfo[] frameInfos = codec.FrameInfo;
        int frameCount = allFrames ? Math.Max(1, codec.FrameCount) : 1;
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels || pixels * frameCount > maxPixels)
        {
            throw new ImageFormatException(
                $"Image size ({info.Width}x{info.Height}, {frameCount} frame(s)) exceeds the limit of {maxPixels} pixels; it could be a decompression bomb.");
        }

        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bool isGif = codec.EncodedFormat == SKEncodedImageFormat.Gif;
        var decoded = new List<byte[]>(frameCount);
        var frames = new List<DecodedFrame>(frameCount);
        for (int i = 0; i < frameCount; i++)
        {
            byte[] buffer = new byte[checked(info.Width * info.Height * 4)];
            int required = i < frameInfos.Length ? frameInfos[i].RequiredFrame : -1;
            if (required >= 0 && required < decoded.Count)
            {
                // Skia draws a dependent frame over the frame it builds on: start from that frame's pixels.
                Array.Copy(decoded[required], buffer, buffer.Length);
            }
            else
            {
                required = -1;
            }
            SKCodecResult result = DecodeInto(codec, target, buffer, new SKCodecOptions(i, required));
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput))
            {
                if (i == 0)
                {
                    throw new ImageFormatException($"The image data is corrupt ({Describe(result)}).");
                }
                break; // a broken later frame ends the animation; the frames before it are kept
            }
            decoded.Add(buffer);
            bool hasAlpha = info.AlphaType != SKAlphaType.Opaque;
            if (isGif)
            {
                // Skia reports GIFs as possibly transparent; only frames that use transparency have an alpha band.
                hasAlpha = AnyTransparent(buffer);
            }
            var oriented = Orientation.Apply(new PixelBuffer(info.Width, info.Height, 4, buffer), (int)codec.EncodedOrigin);
            frames.Add(new DecodedFrame(oriented, hasAlpha));
        }
        return new DecodedImage(codec.EncodedFormat.ToString(), frames);
    }

    private static SKCodecResult DecodeInto(SKCodec codec, SKImageInfo target, byte[] buffer, SKCodecOptions options)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            return codec.GetPixels(target, handle.AddrOfPinnedObject(), target.RowBytes, options);
        }
        finally
        {
            handle.Free();
        }
    }

    private static bool AnyTransparent(byte[] rgba)
    {
        for (int i = 3; i < rgba.Length; i += 4)
        {
            if (rgba[i] != 255)
            {
                return true;
            }
        }
        return false;
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.Unimplemented => "unsupported format",
        SKCodecResult.IncompleteInput => "truncated file",
        SKCodecResult.InvalidInput or SKCodecResult.ErrorInInput => "invalid data",
        _ => result.ToString(),
    };
}

/// <summary>Applies an EXIF orientation tag (1–8) to pixels, as an EXIF-aware viewer would show them.</summary>
public static class Orientation
{
    /// <summary>Returns the pixels turned/flipped upright; tag 1 or an unknown tag returns the input.</summary>
    public static PixelBuffer Apply(PixelBuffer source, int exifOrientation)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (exifOrientation is < 2 or > 8)
        {
            return source;
        }
        int w = source.Width, h = source.Height, c = source.Channels;
        bool swaps = exifOrientation >= 5;
        var result = PixelBuffer.Create(swaps ? h : w, swaps ? w : h, c);
        for (int oy = 0; oy < result.Height; oy++)
        {
            for (int ox = 0; ox < result.Width; ox++)
            {
                (int sx, int sy) = exifOrientation switch
                {
                    2 => (w - 1 - ox, oy),          // mirrored left-right
                    3 => (w - 1 - ox, h - 1 - oy),  // upside down
                    4 => (ox, h - 1 - oy),          // mirrored top-bottom
                    5 => (oy, ox),                  // transposed
                    6 => (oy, h - 1 - ox),          // needs a clockwise quarter turn
                    7 => (w - 1 - oy, h - 1 - ox),  // transversed
                    _ => (w - 1 - oy, ox),          // 8: needs a counter-clockwise quarter turn
                };
                Array.Copy(source.Pixels, ((sy * w) + sx) * c, result.Pixels, ((oy * result.Width) + ox) * c, c);
            }
        }
        return result;
    }
}
