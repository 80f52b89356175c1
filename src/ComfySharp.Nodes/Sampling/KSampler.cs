using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling;

/// <summary>Denoises a latent with a model, guided by positive and negative conditioning.</summary>
public sealed class KSampler : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { Tooltip = "The model used for denoising the input latent." };
    /// <summary>The noise seed.</summary>
    public static readonly IntInput Seed = new("seed")
    {
        Default = 0, Min = 0, Max = ulong.MaxValue, ControlAfterGenerate = true,
        Tooltip = "The random seed used for creating the noise.",
    };
    /// <summary>The number of steps.</summary>
    public static readonly IntInput Steps = new("steps") { Default = 20, Min = 1, Max = 10000, Tooltip = "The number of steps used in the denoising process." };
    /// <summary>Classifier-free guidance scale.</summary>
    public static readonly FloatInput Cfg = new("cfg")
    {
        Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01,
        Tooltip = "The Classifier-Free Guidance scale balances creativity and adherence to the prompt. Higher values result in images more closely matching the prompt however too high values will negatively impact quality.",
    };
    /// <summary>The sampler algorithm.</summary>
    public static readonly ComboInput SamplerName = new("sampler_name", SamplerRegistry.Names) { Tooltip = "The algorithm used when sampling, this can affect the quality, speed, and style of the generated output." };
    /// <summary>The schedule.</summary>
    public static readonly ComboInput Scheduler = new("scheduler", Schedulers.Names) { Tooltip = "The scheduler controls how noise is gradually removed to form the image." };
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING) { Tooltip = "The conditioning describing the attributes you want to include in the image." };
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING) { Tooltip = "The conditioning describing the attributes you want to exclude from the image." };
    /// <summary>The latent to denoise.</summary>
    public static readonly SocketInput<LatentValue> LatentImage = new("latent_image", IOTypes.LATENT) { Tooltip = "The latent image to denoise." };
    /// <summary>Denoising strength.</summary>
    public static readonly FloatInput Denoise = new("denoise")
    {
        Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01,
        Tooltip = "The amount of denoising applied, lower values will maintain the structure of the initial image allowing for image to image sampling.",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "KSampler",
        DisplayName = "KSampler",
        Category = "sampling",
        Description = "Uses the provided model, positive and negative conditioning to denoise the latent image.",
        Required = [Model, Seed, Steps, Cfg, SamplerName, Scheduler, Positive, Negative, LatentImage, Denoise],
        Outputs = [new OutputSpec(IOTypes.LATENT, Tooltip: "The denoised latent.")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelPatcher model = inputs.Get(Model);
        var settings = new KSamplerSettings
        {
            Model = model,
            Seed = inputs.GetUnsigned(Seed),
            Steps = (int)inputs.Get(Steps),
            Cfg = inputs.Get(Cfg),
            SamplerName = inputs.Get(SamplerName),
            Scheduler = inputs.Get(Scheduler),
            Positive = inputs.Get(Positive),
            Negative = inputs.Get(Negative),
            Latent = inputs.Get(LatentImage),
            Denoise = inputs.Get(Denoise),
        };
        LatentValue result = KSamplerRun.Run(settings, SamplerProgress.For(context, model.Network.LatentFormat), context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
