using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Creates a batch of zero latents of [batch_size, 4, height / 8, width / 8].</summary>
public sealed class EmptyLatentImage : ComfyNode
{
    /// <summary>Image width in pixels.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 16, Max = 16384, Step = 8, Tooltip = "The width of the latent images in pixels." };
    /// <summary>Image height in pixels.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 16, Max = 16384, Step = 8, Tooltip = "The height of the latent images in pixels." };
    /// <summary>Number of latents.</summary>
    public static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 4096, Tooltip = "The number of latent images in the batch." };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "EmptyLatentImage",
        DisplayName = "Empty Latent Image",
        Category = "latent",
        Description = "Creates a batch of empty latent images to be denoised by sampling.",
        Required = [Width, Height, BatchSize],
        Outputs = [new OutputSpec(IOTypes.LATENT, Tooltip: "The empty latent image batch.")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long batch = inputs.Get(BatchSize), width = inputs.Get(Width), height = inputs.Get(Height);
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "EmptyLatentImage", batch, 4, height / 8, width / 8);
        return ValueTask.FromResult(NodeOutput.Of(new LatentValue(zeros([batch, 4, height / 8, width / 8], ScalarType.Float32))));
    }
}
