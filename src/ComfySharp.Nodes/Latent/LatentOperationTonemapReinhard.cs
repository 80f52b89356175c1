using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Latent;

/// <summary>A latent operation that tonemaps the length of each pixel's channel vector (Reinhard), for taming high-CFG results.</summary>
public sealed class LatentOperationTonemapReinhard : ComfyNode
{
    /// <summary>White point multiplier.</summary>
    public static readonly FloatInput Multiplier = new("multiplier") { Default = 1.0, Min = 0.0, Max = 100.0, Step = 0.01 };

    private static readonly NodeSchema Definition = LatentOperations.Schema("LatentOperationTonemapReinhard", [Multiplier], LatentOperations.Type);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double multiplier = inputs.Get(Multiplier);
        return ValueTask.FromResult(NodeOutput.Of(new LatentOperation(latent => LatentOperations.TonemapReinhard(latent, multiplier))));
    }
}
