using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling;

/// <summary>KSampler with control over noise, the step range and leftover noise.</summary>
public sealed class KSamplerAdvanced : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };
    /// <summary>Whether to add noise.</summary>
    public static readonly ComboInput AddNoise = new("add_noise", ["enable", "disable"]) { OneElementSpec = true };
    /// <summary>The noise seed.</summary>
    public static readonly IntInput NoiseSeed = new("noise_seed") { Default = 0, Min = 0, Max = ulong.MaxValue, ControlAfterGenerate = true };
    /// <summary>The schedule length.</summary>
    public static readonly IntInput Steps = new("steps") { Default = 20, Min = 1, Max = 10000 };
    /// <summary>Guidance scale.</summary>
    public static readonly FloatInput Cfg = new("cfg") { Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01 };
    /// <summary>The sampler algorithm.</summary>
    public static readonly ComboInput SamplerName = new("sampler_name", SamplerRegistry.Names) { OneElementSpec = true };
    /// <summary>The schedule.</summary>
    public static readonly ComboInput Scheduler = new("scheduler", Schedulers.Names) { OneElementSpec = true };
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> LatentImage = new("latent_image", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>First step to run.</summary>
    public static readonly IntInput StartAtStep = new("start_at_step") { Default = 0, Min = 0, Max = 10000 };
    /// <summary>Step to stop at.</summary>
    public static readonly IntInput EndAtStep = new("end_at_step") { Default = 10000, Min = 0, Max = 10000 };
    /// <summary>Whether to keep the remaining noise when stopping early.</summary>
    public static readonly ComboInput ReturnWithLeftoverNoise = new("return_with_leftover_noise", ["disable", "enable"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "KSamplerAdvanced",
        DisplayName = "KSampler (Advanced)",
        Category = "sampling",
        Required = [Model, AddNoise, NoiseSeed, Steps, Cfg, SamplerName, Scheduler, Positive, Negative, LatentImage, StartAtStep, EndAtStep, ReturnWithLeftoverNoise],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
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
            Seed = inputs.GetUnsigned(NoiseSeed),
            Steps = (int)inputs.Get(Steps),
            Cfg = inputs.Get(Cfg),
            SamplerName = inputs.Get(SamplerName),
            Scheduler = inputs.Get(Scheduler),
            Positive = inputs.Get(Positive),
            Negative = inputs.Get(Negative),
            Latent = inputs.Get(LatentImage),
            Denoise = 1.0,
            DisableNoise = inputs.Get(AddNoise) == "disable",
            StartStep = (int)inputs.Get(StartAtStep),
            LastStep = (int)inputs.Get(EndAtStep),
            ForceFullDenoise = inputs.Get(ReturnWithLeftoverNoise) != "enable",
        };
        LatentValue result = KSamplerRun.Run(settings, SamplerProgress.For(context, model.Network.LatentFormat), context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
