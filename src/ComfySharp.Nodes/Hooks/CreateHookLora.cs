using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Nodes.Lora;

namespace ComfySharp.Nodes.Hooks;

/// <summary>
/// Makes a hook from a LoRA file: attached to conditioning (ConditioningSetProperties, SetClipHooks), its weights apply
/// to the diffusion model only while that conditioning is evaluated, and to CLIP while hooked text is encoded.
/// </summary>
public sealed class CreateHookLora : ComfyNode
{
    /// <summary>The LoRA file.</summary>
    public static readonly ComboInput LoraName = new("lora_name", LoraApplication.LoraNames) { OneElementSpec = true };
    /// <summary>Strength on the diffusion model.</summary>
    public static readonly FloatInput StrengthModel = HookSchema.Strength("strength_model");
    /// <summary>Strength on CLIP.</summary>
    public static readonly FloatInput StrengthClip = HookSchema.Strength("strength_clip");
    /// <summary>Hooks to add this one to.</summary>
    public static readonly SocketInput<HookGroup> PrevHooks = HookSchema.Hooks("prev_hooks");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookLora", "Create Hook LoRA", HookSchema.CreateCategory,
        [LoraName, StrengthModel, StrengthClip], [PrevHooks], HookSchema.HooksOutput);

    private readonly LoraApplication _lora = new();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(Create(_lora, context, inputs.Get(LoraName), inputs.Get(StrengthModel), inputs.Get(StrengthClip),
            inputs.GetOrDefault(PrevHooks, null!))));
    }

    /// <summary>The previous hooks plus a LoRA hook (the previous hooks alone when both strengths are 0).</summary>
    internal static HookGroup Create(LoraApplication lora, NodeContext context, string loraName, double strengthModel, double strengthClip, HookGroup? previous)
    {
        previous ??= new HookGroup([]);
        if (strengthModel == 0 && strengthClip == 0)
        {
            return previous;
        }
        var file = lora.Load(context.Services, loraName);
        return previous.Combine(new HookGroup([new WeightHook(new LoraHookWeights(file), strengthModel, strengthClip)]));
    }
}
