using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Nodes.Loaders;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Makes a hook from another checkpoint that changes the diffusion model only.</summary>
public sealed class CreateHookModelAsLoraModelOnly : ComfyNode
{
    /// <summary>The checkpoint.</summary>
    public static readonly ComboInput CkptName = new("ckpt_name", services => LoaderServices.List(services, "checkpoints")) { OneElementSpec = true };
    /// <summary>Strength on the diffusion model.</summary>
    public static readonly FloatInput StrengthModel = HookSchema.Strength("strength_model");
    /// <summary>Hooks to add this one to.</summary>
    public static readonly SocketInput<HookGroup> PrevHooks = HookSchema.Hooks("prev_hooks");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookModelAsLoraModelOnly", "Create Hook Model as LoRA (MO)", HookSchema.CreateCategory,
        [CkptName, StrengthModel], [PrevHooks], HookSchema.HooksOutput);

    private readonly CreateHookModelAsLora.CheckpointWeights _weights = new();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(_weights.Create(context, inputs.Get(CkptName), inputs.Get(StrengthModel), 0.0,
            inputs.GetOrDefault(PrevHooks, null!))));
    }
}
