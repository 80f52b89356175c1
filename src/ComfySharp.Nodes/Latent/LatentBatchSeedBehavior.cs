using ComfySharp.Abstractions;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Chooses how a batch draws its noise: "fixed" gives every item the first item's batch index (the same
/// noise), "random" drops the indices so each item gets its own.
/// </summary>
public sealed class LatentBatchSeedBehavior : ComfyNode
{
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT);
    /// <summary>"random" or "fixed".</summary>
    public static readonly ComboInput SeedBehavior = new("seed_behavior", ["random", "fixed"]) { Default = "fixed" };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentBatchSeedBehavior",
        Category = "latent/advanced",
        PythonModule = "comfy_extras.nodes_latent",
        Flavor = NodeFlavor.Schema,
        Required = [Samples, SeedBehavior],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        LatentValue result = inputs.Get(SeedBehavior) == "random"
            ? latent with { BatchIndex = null }
            : latent with { BatchIndex = Enumerable.Repeat(latent.BatchIndex is { Count: > 0 } b ? b[0] : 0L, (int)latent.Samples.shape[0]).ToArray() };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
