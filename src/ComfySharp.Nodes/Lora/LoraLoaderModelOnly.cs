using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.Lora;

/// <summary>Applies a LoRA to the diffusion model only.</summary>
public sealed class LoraLoaderModelOnly : ComfyNode
{
    /// <summary>The diffusion model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };
    /// <summary>The LoRA file.</summary>
    public static readonly ComboInput LoraName = new("lora_name", LoraApplication.LoraNames) { OneElementSpec = true };
    /// <summary>Strength on the diffusion model.</summary>
    public static readonly FloatInput StrengthModel = new("strength_model") { Default = 1.0, Min = -100.0, Max = 100.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LoraLoaderModelOnly",
        Category = "loaders",
        Description = "LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised such as applying styles. Multiple LoRA nodes can be linked together.",
        Required = [Model, LoraName, StrengthModel],
        Outputs = [new OutputSpec(IOTypes.MODEL, Tooltip: "The modified diffusion model.")],
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
        double strength = inputs.Get(StrengthModel);
        if (strength == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(model));
        }
        var file = _lora.Load(context.Services, inputs.Get(LoraName));
        return ValueTask.FromResult(NodeOutput.Of(LoraApplication.PatchModel(model, file, strength)));
    }
}
