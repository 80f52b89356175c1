using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Torch.Images;

/// <summary>
/// Canny edge detection as kornia's <c>filters.canny</c> computes it with its defaults (5×5 Gaussian, σ = 1,
/// hysteresis on, eps 1e-6), which the reference's Canny node calls: grayscale (0.299, 0.587, 0.114), separable
/// Gaussian blur with reflected borders, Sobel gradients with replicated borders, magnitude √(gx² + gy² + eps),
/// direction rounded to 45°, non-maximum suppression against both neighbours along it, double threshold (weak 0.5,
/// strong 1), then hysteresis: weak pixels next to a strong one become strong until nothing changes.
/// </summary>
public static class CannyEdges
{
    private const int KernelSize = 5;
    private const double Sigma = 1.0;
    private const double Eps = 1e-6;

    /// <summary>Neighbour offsets (dy, dx) of the 8 directions k·45° in kornia's kernel order.</summary>
    private static readonly (int Dy, int Dx)[] Directions = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)];

    /// <summary>Edges of images [B, C, H, W] (C = 1 or 3, values 0..1) → [B, 1, H, W] of 0 and 1.</summary>
    public static (Tensor Magnitude, Tensor Edges) Detect(Tensor images, double lowThreshold, double highThreshold)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] is not (1 or 3))
        {
            throw new ArgumentException($"Canny needs images [B, 1 or 3, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }
        if (lowThreshold > highThreshold)
        {
            throw new ArgumentException($"The low threshold ({lowThreshold}) must not be above the high threshold ({highThreshold}).", nameof(lowThreshold));
        }
        using var scope = NewDisposeScope();
        Tensor x = images.to_type(ScalarType.Float32);
        if (x.shape[1] == 3)
        {
            x = x.narrow(1, 0, 1).Mul(0.299).Add(x.narrow(1, 1, 1).Mul(0.587)).Add(x.narrow(1, 2, 1).Mul(0.114));
        }
        Tensor blurred = Blur(x);
        var (gx, gy) = Sobel(blurred);
        Tensor magnitude = sqrt((gx * gx).Add(gy * gy).Add(Eps));
        Tensor angle = atan2(gy, gx).Mul(180.0).Div((double)MathF.PI);
        Tensor octant = round(angle.Div(45.0)).Mul(45.0).Div(45.0);
        Tensor positive = octant.Rem(8.0).to_type(ScalarType.Int64);
        Tensor negative = octant.Add(4.0).Rem(8.0).to_type(ScalarType.Int64);

        Tensor nms = F.conv2d(magnitude, DirectionKernels(centre: 1f, neighbour: -1f), padding: [1, 1]);
        Tensor isMax = minimum(nms.gather(1, positive), nms.gather(1, negative)).Gt(0.0);
        magnitude = magnitude * isMax.to_type(ScalarType.Float32);

        Tensor edges = magnitude.Gt(lowThreshold).to_type(ScalarType.Float32).Mul(0.5).Add(magnitude.Gt(highThreshold).to_type(ScalarType.Float32).Mul(0.5));
        Tensor hysteresisKernels = DirectionKernels(centre: 0f, neighbour: 1f);
        Tensor previous = ones_like(edges).neg();
        Tensor strongOrLinked = edges;
        while (previous.ne(edges).any().item<bool>())
        {
            Tensor weak = edges.Eq(0.5).to_type(ScalarType.Float32);
            Tensor strong = edges.Eq(1.0).to_type(ScalarType.Float32);
            Tensor linked = F.conv2d(edges, hysteresisKernels, padding: [1, 1]).Eq(1.0).any(1, keepdim: true).to_type(ScalarType.Float32);
            strongOrLinked = (linked * weak).Add(strong);
            previous = edges;
            edges = strongOrLinked.Add(strongOrLinked.Eq(0.0).to_type(ScalarType.Float32) * weak.Mul(0.5));
        }
        return (magnitude.MoveToOuterDisposeScope(), strongOrLinked.MoveToOuterDisposeScope());
    }

    /// <summary>kornia's Gaussian kernel: exp(−x²/2σ²) at x = −2..2, normalised, applied along x then y with reflected borders.</summary>
    private static Tensor Blur(Tensor x)
    {
        Tensor position = ScalarMath.Arange(0, KernelSize, ScalarType.Float32, x.device).Sub(KernelSize / 2);
        Tensor gauss = exp(position.Pow(2.0).neg().Div(2 * Sigma * Sigma));
        Tensor kernel = gauss / gauss.sum();
        int pad = KernelSize / 2;
        Tensor horizontal = F.conv2d(F.pad(x, [pad, pad, 0, 0], TorchSharp.PaddingModes.Reflect), kernel.view(1, 1, 1, KernelSize));
        return F.conv2d(F.pad(horizontal, [0, 0, pad, pad], TorchSharp.PaddingModes.Reflect), kernel.view(1, 1, KernelSize, 1));
    }

    /// <summary>Unnormalised Sobel derivatives with replicated borders.</summary>
    private static (Tensor Gx, Tensor Gy) Sobel(Tensor x)
    {
        Tensor kx = tensor(new float[] { -1, 0, 1, -2, 0, 2, -1, 0, 1 }).view(3, 3);
        Tensor kernels = stack([kx, kx.t()]).unsqueeze(1);
        Tensor gradients = F.conv2d(F.pad(x, [1, 1, 1, 1], TorchSharp.PaddingModes.Replicate), kernels);
        return (gradients.narrow(1, 0, 1), gradients.narrow(1, 1, 1));
    }

    /// <summary>8 kernels [8, 1, 3, 3]: <paramref name="centre"/> at the centre and <paramref name="neighbour"/> at direction k.</summary>
    private static Tensor DirectionKernels(float centre, float neighbour)
    {
        var values = new float[8 * 9];
        for (int k = 0; k < 8; k++)
        {
            values[(k * 9) + 4] = centre;
            var (dy, dx) = Directions[k];
            values[(k * 9) + ((1 + dy) * 3) + 1 + dx] = neighbour;
        }
        return tensor(values).view(8, 1, 3, 3);
    }
}
