using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.Lora;

/// <summary>Applies a LoRA to the diffusion model and the CLIP, returning patched copies.</summary>
public sealed class LoraLoader : ComfyNode
{
    /// <summary>The diffusion model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { Tooltip = "The diffusion model the LoRA will be applied to." };
    /// <summary>The CLIP model.</summary>
    public static readonly SocketInput<object> Clip = new("clip", IOTypes.CLIP) { Tooltip = "The CLIP model the LoRA will be applied to." };
    /// <summary>The LoRA file.</summary>
    public static readonly ComboInput LoraName = new("lora_name", LoraApplication.LoraNames) { Tooltip = "The name of the LoRA." };
    /// <summary>Strength on the diffusion model.</summary>
    public static readonly FloatInput StrengthModel = new("strength_model")
    {
        Default = 1.0, Min = -100.0, Max = 100.0, Step = 0.01,
        Tooltip = "How strongly to modify the diffusion model. This value can be negative.",
    };
    /// <summary>Strength on CLIP.</summary>
    public static readonly FloatInput StrengthClip = new("strength_clip")
    {
        Default = 1.0, Min = -100.0, Max = 100.0, Step = 0.01,
        Tooltip = "How strongly to modify the CLIP model. This value can be negative.",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LoraLoader",
        DisplayName = "Load LoRA",
        Category = "loaders",
        Description = "LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised such as applying styles. Multiple LoRA nodes can be linked together.",
        Required = [Model, Clip, LoraName, StrengthModel, StrengthClip],
        Outputs =
        [
            new OutputSpec(IOTypes.MODEL, Tooltip: "The modified diffusion model."),
            new OutputSpec(IOTypes.CLIP, Tooltip: "The modified CLIP model."),
        ],
    };

    private readonly LoraApplication _lora = new();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelPatcher model = inputs.Get(Model);
        object clip = inputs.Get(Clip);
        double strengthModel = inputs.Get(StrengthModel);
        double strengthClip = inputs.Get(StrengthClip);
        if (strengthModel == 0 && strengthClip == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(model, clip));
        }
        var file = _lora.Load(context.Services, inputs.Get(LoraName));
        LoraApplication.EnsureAllKeysLoad(file, model, clip);
        ModelPatcher newModel = strengthModel == 0 ? model : LoraApplication.PatchModel(model, file, strengthModel);
        object newClip = strengthClip == 0 ? clip : LoraApplication.PatchClip(clip, file, strengthClip);
        return ValueTask.FromResult(NodeOutput.Of(newModel, newClip));
    }
}
