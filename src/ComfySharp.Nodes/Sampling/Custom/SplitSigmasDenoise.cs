using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Splits a σ list so that the low part holds round(steps·denoise) steps; the split σ is in both parts.</summary>
public sealed class SplitSigmasDenoise : ComfyNode
{
    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>Share of the steps that go to the low part.</summary>
    public static readonly FloatInput Denoise = new("denoise") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SplitSigmasDenoise",
        Category = CustomSampling.Sigmas,
        PythonModule = CustomSampling.Module,
        Flavor = NodeFlavor.Schema,
        Required = [Sigmas, Denoise],
        Outputs = [new OutputSpec(IOTypes.SIGMAS, "high_sigmas"), new OutputSpec(IOTypes.SIGMAS, "low_sigmas")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = inputs.Get(Sigmas);
        int steps = Math.Max(sigmas.Length - 1, 0);
        int lowSteps = (int)Math.Round(steps * inputs.Get(Denoise), MidpointRounding.ToEven);
        // Python slices: sigmas[:-n] is empty for n = 0, and sigmas[-(n + 1):] is clipped at the start.
        float[] high = lowSteps == 0 ? [] : sigmas[..Math.Max(0, sigmas.Length - lowSteps)];
        float[] low = sigmas[Math.Max(0, sigmas.Length - (lowSteps + 1))..];
        return ValueTask.FromResult(NodeOutput.Of(high, low));
    }
}
