namespace ComfySharp.Torch.Images;

/// <summary>
/// 8-bit interleaved pixels, row-major without padding: <c>Pixels[(y * Width + x) * Channels + c]</c>.
/// Channels are 1 (grey), 3 (RGB) or 4 (RGBA, not premultiplied).
/// </summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Channels">Interleaved channels per pixel.</param>
/// <param name="Pixels">The samples.</param>
public sealed record PixelBuffer(int Width, int Height, int Channels, byte[] Pixels)
{
    /// <summary>Allocates a zeroed buffer.</summary>
    public static PixelBuffer Create(int width, int height, int channels) =>
        new(width, height, channels, new byte[checked(width * height * channels)]);

    /// <summary>Keeps the first <paramref name="channels"/> channels of every pixel (e.g. RGBA → RGB).</summary>
    public PixelBuffer WithChannels(int channels)
    {
        if (channels == Channels)
        {
            return this;
        }
        if (channels > Channels)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), "Channels can only be dropped.");
        }
        var result = Create(Width, Height, channels);
        int count = Width * Height;
        for (int i = 0; i < count; i++)
        {
            Array.Copy(Pixels, i * Channels, result.Pixels, i * channels, channels);
        }
        return result;
    }

    /// <summary>One channel as its own grey buffer.</summary>
    public PixelBuffer Channel(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
        var result = Create(Width, Height, 1);
        int count = Width * Height;
        for (int i = 0; i < count; i++)
        {
            result.Pixels[i] = Pixels[(i * Channels) + channel];
        }
        return result;
    }
}
