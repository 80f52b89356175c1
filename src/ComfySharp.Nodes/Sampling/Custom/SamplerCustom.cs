using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Samples with CFG, a chosen sampler and a σ list; also returns the last denoised prediction.</summary>
public sealed class SamplerCustom : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>Start from seeded noise (else from the latent as it is).</summary>
    public static readonly BooleanInput AddNoise = new("add_noise") { Default = true };
    /// <summary>The seed.</summary>
    public static readonly IntInput NoiseSeed = new("noise_seed") { Default = 0, Min = 0, Max = ulong.MaxValue, ControlAfterGenerate = true };
    /// <summary>Guidance scale.</summary>
    public static readonly FloatInput Cfg = new("cfg") { Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01 };
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING);
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING);
    /// <summary>The sampler.</summary>
    public static readonly SocketInput<SamplerDefinition> Sampler = new("sampler", IOTypes.SAMPLER);
    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> LatentImage = new("latent_image", IOTypes.LATENT);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SamplerCustom",
        Category = CustomSampling.Category,
        PythonModule = CustomSampling.Module,
        Flavor = NodeFlavor.Schema,
        Required = [Model, AddNoise, NoiseSeed, Cfg, Positive, Negative, Sampler, Sigmas, LatentImage],
        Outputs = [new OutputSpec(IOTypes.LATENT, "output"), new OutputSpec(IOTypes.LATENT, "denoised_output")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelPatcher model = inputs.Get(Model);
        INoiseSource noise = inputs.Get(AddNoise) ? new RandomNoiseSource(inputs.GetUnsigned(NoiseSeed)) : new EmptyNoiseSource();
        var guider = new Guider(model, new CfgRule(inputs.Get(Positive), inputs.Get(Negative), inputs.Get(Cfg)));
        // Without noise the sampler still derives its per-step noise from the seed, as in the reference.
        ulong seed = inputs.GetUnsigned(NoiseSeed);
        CustomSamplingResult result = CustomSamplingRun.Run(guider, inputs.Get(Sampler), inputs.Get(Sigmas), new SeededNoise(noise, seed), inputs.Get(LatentImage),
            SamplerProgress.For(context, model.Network.LatentFormat), context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(result.Output, result.Denoised));
    }

    private sealed record SeededNoise(INoiseSource Inner, ulong Seed) : INoiseSource
    {
        public TorchSharp.torch.Tensor Generate(LatentValue latent) => Inner.Generate(latent);
    }
}
