using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Inserts steps − 1 extra σ values between each pair whose first σ lies in [end_at_sigma, start_at_sigma].</summary>
public sealed class ExtendIntermediateSigmas : ComfyNode
{
    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>Sub-steps per extended step.</summary>
    public static readonly IntInput Steps = new("steps") { Default = 2, Min = 1, Max = 100 };
    /// <summary>Largest σ to extend (−1 = no limit).</summary>
    public static readonly FloatInput StartAtSigma = CustomSampling.SigmaFloat("start_at_sigma", -1.0, min: -1.0, max: 20000.0);
    /// <summary>Smallest σ to extend.</summary>
    public static readonly FloatInput EndAtSigma = CustomSampling.SigmaFloat("end_at_sigma", 12.0, max: 20000.0);
    /// <summary>How the inserted values are spaced.</summary>
    public static readonly ComboInput Spacing = new("spacing", ["linear", "cosine", "sine"]);

    private static readonly NodeSchema Definition = CustomSampling.Schema("ExtendIntermediateSigmas", CustomSampling.Sigmas, [Sigmas, Steps, StartAtSigma, EndAtSigma, Spacing], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = inputs.Get(Sigmas);
        double start = inputs.Get(StartAtSigma);
        if (start < 0)
        {
            start = double.PositiveInfinity;
        }
        double end = inputs.Get(EndAtSigma);
        using var scope = NewDisposeScope();
        int steps = (int)inputs.Get(Steps);
        // linspace(0, 1, steps + 1) without its ends, mapped by the spacing function (float32 as in the reference).
        Tensor x = linspace(0, 1, steps + 1)[1..^1];
        Tensor spacing = inputs.Get(Spacing) switch
        {
            "cosine" => x.Mul(Math.PI).Div(2).sin(),
            "sine" => x.Mul(Math.PI).Div(2).cos().RSub(1),
            _ => x,
        };
        var extended = new List<float>();
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            float current = sigmas[i], next = sigmas[i + 1];
            extended.Add(current);
            if (end <= current && current <= start)
            {
                using Tensor difference = ScalarMath.Full([1], next, ScalarType.Float32).Sub(current);
                extended.AddRange((spacing * difference).Add(current).data<float>().ToArray());
            }
        }
        if (sigmas.Length > 0)
        {
            extended.Add(sigmas[^1]);
        }
        return ValueTask.FromResult(NodeOutput.Of(extended.ToArray()));
    }
}
