using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Latent;

/// <summary>A latent operation that sharpens the direction of each pixel's channel vector and keeps its length.</summary>
public sealed class LatentOperationSharpen : ComfyNode
{
    /// <summary>Kernel radius.</summary>
    public static readonly IntInput SharpenRadius = new("sharpen_radius") { Default = 9, Min = 1, Max = 31, Step = 1 };
    /// <summary>Gaussian σ over the kernel's [−1, 1] span.</summary>
    public static readonly FloatInput Sigma = new("sigma") { Default = 1.0, Min = 0.1, Max = 10.0, Step = 0.1 };
    /// <summary>Strength.</summary>
    public static readonly FloatInput Alpha = new("alpha") { Default = 0.1, Min = 0.0, Max = 5.0, Step = 0.01 };

    private static readonly NodeSchema Definition = LatentOperations.Schema("LatentOperationSharpen", [SharpenRadius, Sigma, Alpha], LatentOperations.Type);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int radius = (int)inputs.Get(SharpenRadius);
        double sigma = inputs.Get(Sigma), alpha = inputs.Get(Alpha);
        return ValueTask.FromResult(NodeOutput.Of(new LatentOperation(latent =>
        {
            if (latent.shape[^1] <= radius || latent.shape[^2] <= radius)
            {
                throw new NodeException("ValueError", $"LatentOperationSharpen: sharpen_radius {radius} needs a latent larger than {radius} in each dimension; got [{string.Join(", ", latent.shape)}].");
            }
            return LatentOperations.Sharpen(latent, radius, sigma, alpha);
        })));
    }
}
