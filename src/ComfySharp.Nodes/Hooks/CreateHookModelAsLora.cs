using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Nodes.Loaders;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Hooks;

/// <summary>
/// Makes a hook from another checkpoint: while hooked conditioning is evaluated, the diffusion model's weights move by
/// strength · (checkpoint − model), and CLIP's likewise while hooked text is encoded.
/// </summary>
public sealed class CreateHookModelAsLora : ComfyNode
{
    /// <summary>The checkpoint.</summary>
    public static readonly ComboInput CkptName = new("ckpt_name", services => LoaderServices.List(services, "checkpoints")) { OneElementSpec = true };
    /// <summary>Strength on the diffusion model.</summary>
    public static readonly FloatInput StrengthModel = HookSchema.Strength("strength_model");
    /// <summary>Strength on CLIP.</summary>
    public static readonly FloatInput StrengthClip = HookSchema.Strength("strength_clip");
    /// <summary>Hooks to add this one to.</summary>
    public static readonly SocketInput<HookGroup> PrevHooks = HookSchema.Hooks("prev_hooks");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookModelAsLora", "Create Hook Model as LoRA", HookSchema.CreateCategory,
        [CkptName, StrengthModel, StrengthClip], [PrevHooks], HookSchema.HooksOutput);

    private readonly CheckpointWeights _weights = new();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(_weights.Create(context, inputs.Get(CkptName), inputs.Get(StrengthModel), inputs.Get(StrengthClip),
            inputs.GetOrDefault(PrevHooks, null!))));
    }

    /// <summary>The checkpoint weights a node instance loaded last (the reference keeps one per node too).</summary>
    internal sealed class CheckpointWeights
    {
        private (string Path, ModelAsLoraHookWeights Weights)? _loaded;

        public HookGroup Create(NodeContext context, string name, double strengthModel, double strengthClip, HookGroup? previous)
        {
            previous ??= new HookGroup([]);
            string path = LoaderServices.Resolve(context.Services, "checkpoints", name);
            if (_loaded is not { } loaded || loaded.Path != path)
            {
                LoadedCheckpoint checkpoint = LoaderServices.LoadCheckpoint(context.Services, path);
                var model = checkpoint.UNet is { } unet
                    ? unet.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal)
                    : throw new InvalidOperationException($"The checkpoint {name} has no diffusion model.");
                ClipModel? clip = checkpoint.Clip;
                _loaded = loaded = (path, new ModelAsLoraHookWeights(model, clip));
            }
            return previous.Combine(new HookGroup([new WeightHook(loaded.Weights, strengthModel, strengthClip)]));
        }
    }
}
