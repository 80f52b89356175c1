using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Previews;

/// <summary>
/// Live previews of a sampler's denoised latent (WEBSOCKET.md §5): the cheap latent2rgb
/// projection with the model's factors, fitted into the preview square (bilinear, enlarging too)
/// and encoded as JPEG quality 95.
/// </summary>
public static class LatentPreview
{
    /// <summary>JPEG quality of previews.</summary>
    public const int JpegQuality = 95;

    /// <summary>
    /// The 8-bit preview of batch item 0: rgb = x0·factors (+ bias), then
    /// uint8(clamp((rgb + 1) / 2, 0, 1)·255) with truncation, as [H, W, 3] bytes.
    /// </summary>
    public static PixelBuffer Latent2Rgb(Tensor x0, LatentFormat format)
    {
        ArgumentNullException.ThrowIfNull(x0);
        ArgumentNullException.ThrowIfNull(format);
        using var scope = NewDisposeScope();
        Tensor rgb = Latent2RgbFloat(x0, format);
        Tensor bytes = rgb.Add(1.0).Div(2.0).Clamp(0, 1).Mul(255).to_type(ScalarType.Byte).contiguous();
        int height = (int)bytes.shape[0], width = (int)bytes.shape[1];
        return new PixelBuffer(width, height, 3, bytes.data<byte>().ToArray());
    }

    /// <summary>The float projection [H, W, 3] of batch item 0.</summary>
    public static Tensor Latent2RgbFloat(Tensor x0, LatentFormat format)
    {
        ArgumentNullException.ThrowIfNull(x0);
        ArgumentNullException.ThrowIfNull(format);
        using var scope = NewDisposeScope();
        int channels = format.Latent2RgbFactors.Length;
        Tensor factors = tensor(format.Latent2RgbFactors.SelectMany(r => r).Select(v => (float)v).ToArray()).view(channels, 3);
        Tensor rgb = x0[0].to_type(ScalarType.Float32).cpu().permute(1, 2, 0).matmul(factors);
        if (format.Latent2RgbBias is { } bias)
        {
            rgb = rgb.Add(tensor(bias.Select(v => (float)v).ToArray()));
        }
        return rgb.MoveToOuterDisposeScope();
    }

    /// <summary>The size that fits (width, height) into a square of <paramref name="maxSize"/>, keeping the aspect ratio (enlarging too).</summary>
    public static (int Width, int Height) FitSize(int width, int height, int maxSize)
    {
        if (width == height)
        {
            return (maxSize, maxSize);
        }
        if (width > height)
        {
            return (maxSize, Math.Max(1, (int)Math.Round((double)height / width * maxSize, MidpointRounding.ToEven)));
        }
        return (Math.Max(1, (int)Math.Round((double)width / height * maxSize, MidpointRounding.ToEven)), maxSize);
    }

    /// <summary>Bilinear (triangle filter, widened when shrinking) resize of 8-bit pixels, separable like Pillow's.</summary>
    public static PixelBuffer ResizeBilinear(PixelBuffer source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Width == width && source.Height == height)
        {
            return source;
        }
        int c = source.Channels;
        var horizontal = new byte[height == source.Height ? width * source.Height * c : width * source.Height * c];
        var (hIndex, hWeights) = Weights(source.Width, width);
        for (int y = 0; y < source.Height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (int k = 0; k < hWeights[x].Length; k++)
                    {
                        sum += hWeights[x][k] * source.Pixels[(y * source.Width + hIndex[x] + k) * c + ch];
                    }
                    horizontal[(y * width + x) * c + ch] = ClipByte(sum);
                }
            }
        }
        var result = new byte[width * height * c];
        var (vIndex, vWeights) = Weights(source.Height, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (int k = 0; k < vWeights[y].Length; k++)
                    {
                        sum += vWeights[y][k] * horizontal[((vIndex[y] + k) * width + x) * c + ch];
                    }
                    result[(y * width + x) * c + ch] = ClipByte(sum);
                }
            }
        }
        return new PixelBuffer(width, height, c, result);
    }

    private static byte ClipByte(double v) => (byte)Math.Clamp((int)Math.Round(v, MidpointRounding.AwayFromZero), 0, 255);

    private static (int[] Start, double[][] Weights) Weights(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;
        var starts = new int[outSize];
        var weights = new double[outSize][];
        for (int x = 0; x < outSize; x++)
        {
            double center = (x + 0.5) * scale;
            int min = Math.Max((int)(center - support + 0.5), 0);
            int max = Math.Min((int)(center + support + 0.5), inSize);
            var w = new double[Math.Max(max - min, 1)];
            double total = 0;
            for (int k = 0; k < max - min; k++)
            {
                double t = Math.Abs((k + min - center + 0.5) / filterScale);
                w[k] = t < 1 ? 1 - t : 0;
                total += w[k];
            }
            if (total > 0)
            {
                for (int k = 0; k < w.Length; k++)
                {
                    w[k] /= total;
                }
            }
            starts[x] = Math.Min(min, inSize - 1);
            weights[x] = w;
        }
        return (starts, weights);
    }

    /// <summary>The JPEG preview of a denoised latent, fitted into <paramref name="maxSize"/>.</summary>
    public static byte[] EncodeLatent2RgbJpeg(Tensor x0, LatentFormat format, int maxSize)
    {
        PixelBuffer small = Latent2Rgb(x0, format);
        var (w, h) = FitSize(small.Width, small.Height, maxSize);
        return ImageEncoder.EncodeJpeg(ResizeBilinear(small, w, h), JpegQuality);
    }
}
