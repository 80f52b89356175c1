using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Nodes.Lora;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Makes a hook from a LoRA file that changes the diffusion model only.</summary>
public sealed class CreateHookLoraModelOnly : ComfyNode
{
    /// <summary>The LoRA file.</summary>
    public static readonly ComboInput LoraName = new("lora_name", LoraApplication.LoraNames) { OneElementSpec = true };
    /// <summary>Strength on the diffusion model.</summary>
    public static readonly FloatInput StrengthModel = HookSchema.Strength("strength_model");
    /// <summary>Hooks to add this one to.</summary>
    public static readonly SocketInput<HookGroup> PrevHooks = HookSchema.Hooks("prev_hooks");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookLoraModelOnly", "Create Hook LoRA (MO)", HookSchema.CreateCategory,
        [LoraName, StrengthModel], [PrevHooks], HookSchema.HooksOutput);

    private readonly LoraApplication _lora = new();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(CreateHookLora.Create(_lora, context, inputs.Get(LoraName), inputs.Get(StrengthModel), 0.0,
            inputs.GetOrDefault(PrevHooks, null!))));
    }
}
