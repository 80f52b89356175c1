using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Splits a σ list at a step: σ[0 … step] and σ[step …] (the step's σ is in both).</summary>
public sealed class SplitSigmas : ComfyNode
{
    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>Where to split.</summary>
    public static readonly IntInput Step = new("step") { Default = 0, Min = 0, Max = 10000 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SplitSigmas",
        Category = CustomSampling.Sigmas,
        PythonModule = CustomSampling.Module,
        Flavor = NodeFlavor.Schema,
        Required = [Sigmas, Step],
        Outputs = [new OutputSpec(IOTypes.SIGMAS, "high_sigmas"), new OutputSpec(IOTypes.SIGMAS, "low_sigmas")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = inputs.Get(Sigmas);
        long step = inputs.Get(Step);
        int cut = (int)Math.Min(step, sigmas.Length);
        float[] high = sigmas[..Math.Min(cut + 1, sigmas.Length)];
        float[] low = sigmas[cut..];
        return ValueTask.FromResult(NodeOutput.Of(high, low));
    }
}
