using ComfySharp.Abstractions;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Mirrors latents top↔bottom (<c>x-axis: vertically</c>) or left↔right (<c>y-axis: horizontally</c>).</summary>
public sealed class LatentFlip : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>The flip.</summary>
    public static readonly ComboInput FlipMethod = new("flip_method", ["x-axis: vertically", "y-axis: horizontally"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentFlip",
        DisplayName = "Flip Latent",
        Category = "latent/transform",
        Required = [Samples, FlipMethod],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        string method = inputs.Get(FlipMethod);
        if (method.StartsWith('x'))
        {
            return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = latent.Samples.flip(2) }));
        }
        if (method.StartsWith('y'))
        {
            return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = latent.Samples.flip(3) }));
        }
        return ValueTask.FromResult(NodeOutput.Of(latent));
    }
}
