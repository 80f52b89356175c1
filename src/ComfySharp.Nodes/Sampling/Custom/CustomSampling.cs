using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Names and helpers shared by the custom-sampling nodes (the reference's comfy_extras.nodes_custom_sampler).</summary>
internal static class CustomSampling
{
    public const string Module = "comfy_extras.nodes_custom_sampler";
    public const string Category = "sampling/custom_sampling";
    public const string Schedulers = "sampling/custom_sampling/schedulers";
    public const string Samplers = "sampling/custom_sampling/samplers";
    public const string Sigmas = "sampling/custom_sampling/sigmas";
    public const string Guiders = "sampling/custom_sampling/guiders";
    public const string Noise = "sampling/custom_sampling/noise";

    /// <summary>The schema of a node with one output of <paramref name="outputType"/>.</summary>
    public static NodeSchema Schema(string classType, string category, IReadOnlyList<InputSpec> required, string outputType, string? outputName = null, string module = Module) => new()
    {
        ClassType = classType,
        Category = category,
        PythonModule = module,
        Flavor = NodeFlavor.Schema,
        Required = required,
        Outputs = [new OutputSpec(outputType, outputName)],
    };

    /// <summary>A σ-valued float widget of the scheduler nodes (step 0.01, no rounding).</summary>
    public static FloatInput SigmaFloat(string name, double defaultValue, double min = 0.0, double max = 5000.0, double step = 0.01) =>
        new(name) { Default = defaultValue, Min = min, Max = max, Step = step, RoundDisabled = true };

    /// <summary>The steps widget of the scheduler nodes.</summary>
    public static IntInput Steps(long defaultValue = 20, long min = 1, long max = 10000) => new("steps") { Default = defaultValue, Min = min, Max = max };

    /// <summary>A model input.</summary>
    public static SocketInput<ModelPatcher> Model() => new("model", IOTypes.MODEL);

    /// <summary>A SIGMAS input.</summary>
    public static SocketInput<float[]> SigmasInput(string name = "sigmas") => new(name, IOTypes.SIGMAS);

    /// <summary>The model's discrete noise schedule.</summary>
    public static ModelSamplingDiscrete SamplingOf(ModelPatcher model) => ModelSamplingDiscrete.For(model);

    /// <summary>A sampler with options: a named algorithm run by <paramref name="run"/>.</summary>
    public static SamplerDefinition Sampler(string name, SamplerFunction run, bool needsUncond = false) => new(name, run, needsUncond);
}
