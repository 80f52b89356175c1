using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>A TIMESTEPS_RANGE value: a fraction range of the sampling schedule.</summary>
/// <param name="Start">Start fraction (0 = first step).</param>
/// <param name="End">End fraction (1 = last step).</param>
public sealed record TimestepsRange(double Start, double End);

/// <summary>Wire types and schema pieces shared by the hook nodes (the reference's <c>comfy_extras.nodes_hooks</c>).</summary>
internal static class HookSchema
{
    public const string HOOKS = "HOOKS";
    public const string HOOK_KEYFRAMES = "HOOK_KEYFRAMES";
    public const string TIMESTEPS_RANGE = "TIMESTEPS_RANGE";
    public const string FLOATS = "FLOATS";
    public const string CreateCategory = "advanced/hooks/create";
    public const string SchedulingCategory = "advanced/hooks/scheduling";
    public const string CombineCategory = "advanced/hooks/combine";
    public const string CondSingleCategory = "advanced/hooks/cond single";
    public const string CondPairCategory = "advanced/hooks/cond pair";

    /// <summary>The schema of a hook node: classic, experimental, in the reference's hooks module.</summary>
    public static NodeSchema Create(string classType, string displayName, string category, IReadOnlyList<InputSpec> required, IReadOnlyList<InputSpec> optional,
        params OutputSpec[] outputs) => new()
        {
            ClassType = classType,
            DisplayName = displayName,
            Category = category,
            PythonModule = "comfy_extras.nodes_hooks",
            Experimental = true,
            Required = required,
            Optional = optional,
            Outputs = outputs,
        };

    /// <summary>A HOOKS socket.</summary>
    public static SocketInput<HookGroup> Hooks(string name) => new(name, HOOKS) { OneElementSpec = true };

    /// <summary>A HOOK_KEYFRAMES socket.</summary>
    public static SocketInput<HookKeyframeGroup> Keyframes(string name) => new(name, HOOK_KEYFRAMES) { OneElementSpec = true };

    /// <summary>A CONDITIONING socket.</summary>
    public static SocketInput<Diffusion.Conditioning> Conditioning(string name) => new(name, IOTypes.CONDITIONING) { OneElementSpec = true };

    /// <summary>A hook strength widget (−20 … 20).</summary>
    public static FloatInput Strength(string name) => new(name) { Default = 1.0, Min = -20.0, Max = 20.0, Step = 0.01 };

    /// <summary>A schedule fraction widget (0 … 1).</summary>
    public static FloatInput Percent(string name, double defaultValue) => new(name) { Default = defaultValue, Min = 0.0, Max = 1.0, Step = 0.001 };

    /// <summary>The HOOKS output.</summary>
    public static readonly OutputSpec HooksOutput = new(HOOKS);

    /// <summary>The HOOK_KEYFRAMES output, named HOOK_KF.</summary>
    public static readonly OutputSpec KeyframesOutput = new(HOOK_KEYFRAMES, "HOOK_KF");
}

/// <summary>The inputs ConditioningSetProperties and its variants share: strength, area mode and the optional mask, hooks, range.</summary>
internal static class CondProps
{
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };
    public static readonly ComboInput SetCondArea = new("set_cond_area", ["default", "mask bounds"]) { OneElementSpec = true };
    public static readonly SocketInput<TorchSharp.torch.Tensor> Mask = new("mask", IOTypes.MASK) { OneElementSpec = true };
    public static readonly SocketInput<HookGroup> Hooks = HookSchema.Hooks("hooks");
    public static readonly SocketInput<TimestepsRange> Timesteps = new("timesteps", HookSchema.TIMESTEPS_RANGE) { OneElementSpec = true };

    public static readonly IReadOnlyList<InputSpec> Optional = [Mask, Hooks, Timesteps];

    /// <summary>The properties given to a node.</summary>
    public static HookConditioning.Properties Read(NodeInputs inputs) => new(
        inputs.Get(Strength),
        inputs.Get(SetCondArea),
        inputs.GetOrDefault(Mask, null!),
        inputs.GetOrDefault(Hooks, null!),
        inputs.GetOrDefault(Timesteps, null!));
}
