using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Latent;

/// <summary>The LATENT_OPERATION value: a function from a latent tensor [B, C, H, W] to a new one.</summary>
/// <param name="Apply">The operation.</param>
public sealed record LatentOperation(Func<Tensor, Tensor> Apply);

/// <summary>The latent operations of the reference's comfy_extras.nodes_latent and their schema pieces.</summary>
internal static class LatentOperations
{
    public const string Type = "LATENT_OPERATION";
    public const string Category = "latent/advanced/operations";
    public const string Module = "comfy_extras.nodes_latent";

    public static SocketInput<LatentOperation> Input() => new("operation", Type);

    public static NodeSchema Schema(string classType, IReadOnlyList<InputSpec> required, string outputType) => new()
    {
        ClassType = classType,
        Category = Category,
        PythonModule = Module,
        Flavor = NodeFlavor.Schema,
        Experimental = true,
        Required = required,
        Outputs = [new OutputSpec(outputType)],
    };

    /// <summary>Reinhard tonemapping of the per-pixel channel-vector length, with the white point at (mean + 5·std)·multiplier.</summary>
    public static Tensor TonemapReinhard(Tensor latent, double multiplier)
    {
        using var scope = NewDisposeScope();
        Tensor magnitude = latent.VectorNorm(2, 1).Add(1e-10).unsqueeze(1);
        Tensor direction = latent / magnitude;
        Tensor mean = magnitude.mean([1, 2, 3], keepdim: true);
        Tensor std = magnitude.std([1, 2, 3], keepdim: true);
        Tensor top = std.Mul(5).Add(mean).Mul(multiplier);
        Tensor scaled = magnitude * top.RDiv(1.0);
        Tensor mapped = scaled / scaled.Add(1.0) * top;
        return (direction * mapped).MoveToOuterDisposeScope();
    }

    /// <summary>Sharpens the channel direction of each pixel with an unsharp kernel (Gaussian over [−1, 1]², σ) and keeps its length.</summary>
    public static Tensor Sharpen(Tensor latent, int radius, double sigma, double alpha)
    {
        using var scope = NewDisposeScope();
        Tensor luminance = latent.VectorNorm(2, 1).Add(1e-6).unsqueeze(1);
        Tensor direction = latent / luminance;
        long channels = latent.shape[1];
        int size = radius * 2 + 1;
        Tensor kernel = GaussianKernel(size, sigma).Mul(alpha * -10);
        int center = size / 2;
        Tensor centerValue = kernel[center, center] - kernel.sum();
        kernel[center, center] = centerValue.Add(1.0);
        Tensor padded = F.pad(direction, [radius, radius, radius, radius], TorchSharp.PaddingModes.Reflect);
        Tensor weights = kernel.unsqueeze(0).repeat(channels, 1, 1).unsqueeze(1).to_type(latent.dtype);
        Tensor sharpened = F.conv2d(padded, weights, padding: [size / 2, size / 2], groups: channels);
        sharpened = sharpened.narrow(2, radius, sharpened.shape[2] - 2 * radius).narrow(3, radius, sharpened.shape[3] - 2 * radius);
        return (luminance * sharpened).MoveToOuterDisposeScope();
    }

    /// <summary>exp(−d²/2σ²) over an n×n grid spanning [−1, 1]², normalised to sum 1.</summary>
    public static Tensor GaussianKernel(int size, double sigma)
    {
        var values = new float[size * size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            for (int j = 0; j < size; j++)
            {
                double x = size == 1 ? -1 : -1 + 2.0 * i / (size - 1), y = size == 1 ? -1 : -1 + 2.0 * j / (size - 1);
                double g = Math.Exp(-(x * x + y * y) / (2 * sigma * sigma));
                values[i * size + j] = (float)g;
                total += g;
            }
        }
        return tensor(values.Select(v => (float)(v / total)).ToArray()).view(size, size);
    }
}
