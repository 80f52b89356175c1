using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Adds noise to a latent at the level σ[0] − σ[last] (or σ[0] for one value), without sampling.</summary>
public sealed class AddNoise : ComfyNode
{
    /// <summary>The model (latent scale).</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>The noise.</summary>
    public static readonly SocketInput<INoiseSource> Noise = new("noise", IOTypes.NOISE);
    /// <summary>The σ list that sets the level.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> LatentImage = new("latent_image", IOTypes.LATENT);

    private static readonly NodeSchema Definition = CustomSampling.Schema("AddNoise", "_for_testing/custom_sampling/noise", [Model, Noise, Sigmas, LatentImage], IOTypes.LATENT) with { Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(LatentImage);
        float[] sigmas = inputs.Get(Sigmas);
        if (sigmas.Length == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(latent));
        }
        double scaleFactor = inputs.Get(Model).Network.LatentFormat.ScaleFactor;
        using var scope = NewDisposeScope();
        Tensor noise = inputs.Get(Noise).Generate(latent);
        float level = sigmas.Length > 1 ? Math.Abs(sigmas[0] - sigmas[^1]) : sigmas[0];
        Tensor samples = latent.Samples.to_type(ScalarType.Float32);
        if (samples.count_nonzero().item<long>() > 0)
        {
            samples = samples.Mul(scaleFactor);
        }
        Tensor noisy = ModelSamplingDiscrete.NoiseScaling(level, noise, samples, maxDenoise: false).Div(scaleFactor);
        noisy = noisy.nan_to_num(0.0, 0.0, 0.0);
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = noisy.MoveToOuterDisposeScope() }));
    }
}
