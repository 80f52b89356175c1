using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Replaces the first σ of a list.</summary>
public sealed class SetFirstSigma : ComfyNode
{
    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>The new first σ.</summary>
    public static readonly FloatInput Sigma = CustomSampling.SigmaFloat("sigma", 136.0, max: 20000.0, step: 0.001);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SetFirstSigma", CustomSampling.Sigmas, [Sigmas, Sigma], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = (float[])inputs.Get(Sigmas).Clone();
        if (sigmas.Length == 0)
        {
            throw new InvalidOperationException("SetFirstSigma needs at least one sigma.");
        }
        sigmas[0] = (float)inputs.Get(Sigma);
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
