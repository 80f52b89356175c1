using System.Runtime.InteropServices;
using SkiaSharp;

namespace ComfySharp.Torch.Images;

/// <summary>Encodes 8-bit pixels as JPEG or WebP through Skia (PNG goes through <see cref="PngFile"/>, which can add text chunks).</summary>
public static class ImageEncoder
{
    /// <summary>JPEG at <paramref name="quality"/> (0–100); alpha is dropped.</summary>
    public static byte[] EncodeJpeg(PixelBuffer image, int quality = 95) => Encode(image, SKEncodedImageFormat.Jpeg, quality);

    /// <summary>WebP at <paramref name="quality"/> (0–100; 100 is lossless).</summary>
    public static byte[] EncodeWebp(PixelBuffer image, int quality = 90) => Encode(image, SKEncodedImageFormat.Webp, quality);

    private static byte[] Encode(PixelBuffer image, SKEncodedImageFormat format, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        PixelBuffer rgba = ToRgba(image);
        var info = new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, image.Channels == 4 ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        var handle = GCHandle.Alloc(rgba.Pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using SKData data = pixmap.Encode(format, quality)
                ?? throw new InvalidOperationException($"Skia could not encode {format}.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>The image as 4-channel RGBA (grey spreads over R, G and B; opaque unless it carries alpha).</summary>
    internal static PixelBuffer ToRgba(PixelBuffer image)
    {
        if (image.Channels == 4)
        {
            return image;
        }
        var result = PixelBuffer.Create(image.Width, image.Height, 4);
        int count = image.Width * image.Height;
        for (int i = 0; i < count; i++)
        {
            for (int ch = 0; ch < 3; ch++)
            {
                // Grey (1 channel) and grey+alpha (2) spread their first channel over R, G and B.
                result.Pixels[(i * 4) + ch] = image.Pixels[(i * image.Channels) + (image.Channels >= 3 ? ch : 0)];
            }
            result.Pixels[(i * 4) + 3] = image.Channels == 2 ? image.Pixels[(i * 2) + 1] : (byte)255;
        }
        return result;
    }
}
