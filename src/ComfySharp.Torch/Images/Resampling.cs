using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Torch.Images;

/// <summary>
/// Resizing of [N, C, H, W] tensors as the reference's <c>common_upscale</c> does it: optional centre
/// crop to the target aspect, then tensor interpolation (<c>nearest-exact</c>, <c>bilinear</c>,
/// <c>area</c>, <c>bicubic</c>; half-pixel centres, no corner alignment), Pillow-exact Lanczos on
/// 8-bit pixels, or <c>bislerp</c> (spherical interpolation of channel vectors, for latents).
/// </summary>
public static class Resampling
{
    /// <summary>Methods of the image scaling nodes, in the reference's order.</summary>
    public static readonly IReadOnlyList<string> ImageMethods = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"];

    /// <summary>Methods of the latent scaling nodes, in the reference's order.</summary>
    public static readonly IReadOnlyList<string> LatentMethods = ["nearest-exact", "bilinear", "area", "bicubic", "bislerp"];

    /// <summary>Crop modes.</summary>
    public static readonly IReadOnlyList<string> CropModes = ["disabled", "center"];

    /// <summary>Resizes <paramref name="samples"/> [N, C, H, W] to <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static Tensor CommonUpscale(Tensor samples, long width, long height, string method, string crop)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.dim() != 4)
        {
            throw new ArgumentException($"Expected a tensor [N, C, H, W], got {ImageTensors.ShapeText(samples)}.");
        }
        if (width < 1 || height < 1)
        {
            throw new ArgumentException($"Cannot resize to {width}x{height}: both sides must be at least 1.");
        }
        Tensor source = samples;
        if (crop == "center")
        {
            long oldWidth = samples.shape[3];
            long oldHeight = samples.shape[2];
            double oldAspect = (double)oldWidth / oldHeight;
            double newAspect = (double)width / height;
            long x = 0, y = 0;
            if (oldAspect > newAspect)
            {
                x = (long)Math.Round((oldWidth - (oldWidth * (newAspect / oldAspect))) / 2);
            }
            else if (oldAspect < newAspect)
            {
                y = (long)Math.Round((oldHeight - (oldHeight * (oldAspect / newAspect))) / 2);
            }
            source = samples.narrow(2, y, oldHeight - (y * 2)).narrow(3, x, oldWidth - (x * 2));
        }
        return method switch
        {
            "bislerp" => Bislerp(source, width, height),
            "lanczos" => Lanczos(source, width, height),
            "nearest-exact" => F.interpolate(source, [height, width], mode: InterpolationMode.NearestExact),
            "bilinear" => F.interpolate(source, [height, width], mode: InterpolationMode.Bilinear, align_corners: false),
            "bicubic" => F.interpolate(source, [height, width], mode: InterpolationMode.Bicubic, align_corners: false),
            "area" => F.adaptive_avg_pool2d(source, [height, width]),
            "nearest" => F.interpolate(source, [height, width], mode: InterpolationMode.Nearest),
            _ => throw new ArgumentException($"Unknown upscale method '{method}'."),
        };
    }

    /// <summary>
    /// Lanczos (a = 3) as Pillow computes it on 8-bit pictures: each image is converted to bytes by
    /// truncation, resized with Pillow's fixed-point two-pass filter (horizontal first), and divided by 255.
    /// </summary>
    public static Tensor Lanczos(Tensor samples, long width, long height)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var results = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            for (long n = 0; n < samples.shape[0]; n++)
            {
                PixelBuffer pixels = ImageTensors.ToPixels(samples[n].permute(1, 2, 0));
                PixelBuffer resized = PillowResample.Lanczos(pixels, (int)width, (int)height);
                results.Add(ImageTensors.FromPixels(resized).permute(0, 3, 1, 2).MoveToOuterDisposeScope());
            }
        }
        Tensor stacked = cat(results, 0);
        foreach (Tensor t in results)
        {
            t.Dispose();
        }
        return stacked.to(samples.dtype, samples.device);
    }

    /// <summary>
    /// Bilinear-like resize that interpolates each pixel's channel vector spherically (direction by
    /// slerp, length linearly), first along the width, then along the height.
    /// </summary>
    public static Tensor Bislerp(Tensor samples, long width, long height)
    {
        ArgumentNullException.ThrowIfNull(samples);
        using var scope = NewDisposeScope();
        ScalarType originalType = samples.dtype;
        Tensor s = samples.to(ScalarType.Float32);
        long n = s.shape[0], c = s.shape[1], h = s.shape[2], w = s.shape[3];

        var (ratios, first, second) = BilinearData(w, width, s.device);
        first = first.expand(n, c, h, -1);
        second = second.expand(n, c, h, -1);
        ratios = ratios.expand(n, 1, h, -1);
        Tensor pass1 = s.gather(-1, first).permute(0, 2, 3, 1).reshape(-1, c);
        Tensor pass2 = s.gather(-1, second).permute(0, 2, 3, 1).reshape(-1, c);
        Tensor r = ratios.permute(0, 2, 3, 1).reshape(-1, 1);
        Tensor result = Slerp(pass1, pass2, r).reshape(n, h, width, c).permute(0, 3, 1, 2);

        (ratios, first, second) = BilinearData(h, height, s.device);
        first = first.reshape(1, 1, -1, 1).expand(n, c, -1, width);
        second = second.reshape(1, 1, -1, 1).expand(n, c, -1, width);
        ratios = ratios.reshape(1, 1, -1, 1).expand(n, 1, -1, width);
        pass1 = result.gather(-2, first).permute(0, 2, 3, 1).reshape(-1, c);
        pass2 = result.gather(-2, second).permute(0, 2, 3, 1).reshape(-1, c);
        r = ratios.permute(0, 2, 3, 1).reshape(-1, 1);
        result = Slerp(pass1, pass2, r).reshape(n, height, width, c).permute(0, 3, 1, 2);
        return result.to(originalType).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Spherical interpolation between rows of <paramref name="from"/> and <paramref name="to"/> [M, C]
    /// by ratios [M, 1]: the direction is slerped, the length interpolated linearly; (nearly) equal
    /// directions keep <paramref name="from"/>, opposite directions fall back to linear interpolation.
    /// </summary>
    public static Tensor Slerp(Tensor from, Tensor to, Tensor ratio)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(ratio);
        using var scope = NewDisposeScope();
        long c = from.shape[^1];
        Tensor fromNorm = from.VectorNorm(2.0, -1, keepdim: true);
        Tensor toNorm = to.VectorNorm(2.0, -1, keepdim: true);
        Tensor fromUnit = (from / fromNorm).MaskedFill(fromNorm.expand(-1, c).Eq(0.0), 0.0);
        Tensor toUnit = (to / toNorm).MaskedFill(toNorm.expand(-1, c).Eq(0.0), 0.0);
        Tensor dot = (fromUnit * toUnit).sum(1);
        Tensor omega = dot.acos();
        Tensor sinOmega = omega.sin();
        Tensor r = ratio.squeeze(1);
        Tensor result = ((r.RSub(1.0) * omega).sin().div(sinOmega).unsqueeze(1) * fromUnit).Add((r * omega).sin().div(sinOmega).unsqueeze(1) * toUnit);
        result = result * (fromNorm * ratio.RSub(1.0)).Add(toNorm * ratio).expand(-1, c);
        result = where(dot.Gt(1 - 1e-5).unsqueeze(1), from, result);
        result = where(dot.Lt(1e-5 - 1).unsqueeze(1), (from * ratio.RSub(1.0)).Add(to * ratio), result);
        return result.MoveToOuterDisposeScope();
    }

    // Source positions of a half-pixel-centred linear resize: the lower neighbour, the upper
    // neighbour (clamped at the end) and the fraction between them.
    private static (Tensor Ratios, Tensor Lower, Tensor Upper) BilinearData(long oldLength, long newLength, Device device)
    {
        Tensor lowerCoords = ScalarMath.Arange(oldLength, ScalarType.Float32, device).reshape(1, 1, 1, -1);
        lowerCoords = F.interpolate(lowerCoords, [1, newLength], mode: InterpolationMode.Bilinear, align_corners: false);
        Tensor ratios = lowerCoords - lowerCoords.floor();
        Tensor lower = lowerCoords.to(ScalarType.Int64);

        Tensor upperCoords = ScalarMath.Arange(oldLength, ScalarType.Float32, device).reshape(1, 1, 1, -1).Add(1);
        upperCoords.narrow(3, oldLength - 1, 1).SubInPlace(1);
        upperCoords = F.interpolate(upperCoords, [1, newLength], mode: InterpolationMode.Bilinear, align_corners: false);
        Tensor upper = upperCoords.to(ScalarType.Int64);
        return (ratios, lower, upper);
    }
}
