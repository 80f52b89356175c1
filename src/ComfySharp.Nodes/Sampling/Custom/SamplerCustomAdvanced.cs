using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Samples with a noise source, a guider, a sampler and a σ list; also returns the last denoised prediction.</summary>
public sealed class SamplerCustomAdvanced : ComfyNode
{
    /// <summary>The initial noise.</summary>
    public static readonly SocketInput<INoiseSource> Noise = new("noise", IOTypes.NOISE);
    /// <summary>The guider (model and conditioning).</summary>
    public static readonly SocketInput<Guider> GuiderInput = new("guider", IOTypes.GUIDER);
    /// <summary>The sampler.</summary>
    public static readonly SocketInput<SamplerDefinition> Sampler = new("sampler", IOTypes.SAMPLER);
    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> LatentImage = new("latent_image", IOTypes.LATENT);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SamplerCustomAdvanced",
        Category = CustomSampling.Category,
        PythonModule = CustomSampling.Module,
        Flavor = NodeFlavor.Schema,
        Required = [Noise, GuiderInput, Sampler, Sigmas, LatentImage],
        Outputs = [new OutputSpec(IOTypes.LATENT, "output"), new OutputSpec(IOTypes.LATENT, "denoised_output")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        Guider guider = inputs.Get(GuiderInput);
        CustomSamplingResult result = CustomSamplingRun.Run(guider, inputs.Get(Sampler), inputs.Get(Sigmas), inputs.Get(Noise), inputs.Get(LatentImage),
            SamplerProgress.For(context, guider.Model.Network.LatentFormat), context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(result.Output, result.Denoised));
    }
}
