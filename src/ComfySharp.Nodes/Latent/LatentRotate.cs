using ComfySharp.Abstractions;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Rotates latents clockwise by 0, 90, 180 or 270 degrees.</summary>
public sealed class LatentRotate : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>The rotation.</summary>
    public static readonly ComboInput Rotation = new("rotation", ["none", "90 degrees", "180 degrees", "270 degrees"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentRotate",
        DisplayName = "Rotate Latent",
        Category = "latent/transform",
        Required = [Samples, Rotation],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        string rotation = inputs.Get(Rotation);
        long quarterTurns = rotation.StartsWith("90", StringComparison.Ordinal) ? 1
            : rotation.StartsWith("180", StringComparison.Ordinal) ? 2
            : rotation.StartsWith("270", StringComparison.Ordinal) ? 3
            : 0;
        // Turning from the width axis towards the height axis is clockwise on screen.
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = latent.Samples.rot90(quarterTurns, (3, 2)) }));
    }
}
