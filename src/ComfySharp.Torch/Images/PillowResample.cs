namespace ComfySharp.Torch.Images;

/// <summary>
/// Pillow's convolution resampling for 8-bit images, reimplemented from its published description:
/// per output pixel a window of source pixels around the mapped centre, weights from the filter
/// (stretched by the scale when shrinking), normalised, then turned into 22-bit fixed-point integers;
/// the horizontal pass runs first and is rounded and clipped to 8 bits before the vertical pass.
/// </summary>
public static class PillowResample
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double LanczosSupport = 3.0;

    /// <summary>Resizes with the Lanczos filter (a = 3).</summary>
    public static PixelBuffer Lanczos(PixelBuffer source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        PixelBuffer current = source;
        if (width != source.Width)
        {
            current = Horizontal(current, width);
        }
        if (height != source.Height)
        {
            current = Vertical(current, height);
        }
        return current == source ? source with { Pixels = (byte[])source.Pixels.Clone() } : current;
    }

    /// <summary>The Lanczos kernel: sinc(x)·sinc(x/3) on [−3, 3).</summary>
    public static double LanczosFilter(double x) => x is >= -3.0 and < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;

    private static double Sinc(double x)
    {
        if (x == 0.0)
        {
            return 1.0;
        }
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>Window starts, window lengths and fixed-point weights (kernelSize per output pixel).</summary>
    internal static (int[] Start, int[] Length, int[] Weights, int KernelSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = LanczosSupport * filterScale;
        int kernelSize = ((int)Math.Ceiling(support) * 2) + 1;
        int[] start = new int[outSize];
        int[] length = new int[outSize];
        int[] weights = new int[outSize * kernelSize];
        double[] k = new double[kernelSize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double inverse = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0)
            {
                xmin = 0;
            }
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
            {
                xmax = inSize;
            }
            xmax -= xmin;
            double total = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                double w = LanczosFilter((x + xmin - center + 0.5) * inverse);
                k[x] = w;
                total += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double normalised = total != 0.0 ? k[x] / total : k[x];
                weights[(xx * kernelSize) + x] = normalised < 0
                    ? (int)(-0.5 + (normalised * (1 << PrecisionBits)))
                    : (int)(0.5 + (normalised * (1 << PrecisionBits)));
            }
            start[xx] = xmin;
            length[xx] = xmax;
        }
        return (start, length, weights, kernelSize);
    }

    private static byte Clip8(int value)
    {
        if (value >= 1 << PrecisionBits << 8)
        {
            return 255;
        }
        return value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);
    }

    private static PixelBuffer Horizontal(PixelBuffer source, int width)
    {
        var (start, length, weights, kernelSize) = Coefficients(source.Width, width);
        int c = source.Channels;
        var result = PixelBuffer.Create(width, source.Height, c);
        for (int y = 0; y < source.Height; y++)
        {
            int rowIn = y * source.Width * c;
            int rowOut = y * width * c;
            for (int xx = 0; xx < width; xx++)
            {
                int kOffset = xx * kernelSize;
                for (int ch = 0; ch < c; ch++)
                {
                    int sum = 1 << (PrecisionBits - 1);
                    for (int x = 0; x < length[xx]; x++)
                    {
                        sum += source.Pixels[rowIn + ((x + start[xx]) * c) + ch] * weights[kOffset + x];
                    }
                    result.Pixels[rowOut + (xx * c) + ch] = Clip8(sum);
                }
            }
        }
        return result;
    }

    private static PixelBuffer Vertical(PixelBuffer source, int height)
    {
        var (start, length, weights, kernelSize) = Coefficients(source.Height, height);
        int c = source.Channels;
        int stride = source.Width * c;
        var result = PixelBuffer.Create(source.Width, height, c);
        for (int yy = 0; yy < height; yy++)
        {
            int kOffset = yy * kernelSize;
            for (int i = 0; i < stride; i++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int y = 0; y < length[yy]; y++)
                {
                    sum += source.Pixels[((y + start[yy]) * stride) + i] * weights[kOffset + y];
                }
                result.Pixels[(yy * stride) + i] = Clip8(sum);
            }
        }
        return result;
    }
}
