using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.Loaders;

/// <summary>Loads a standalone diffusion model (UNet) from <c>diffusion_models</c>.</summary>
public sealed class UNETLoader : ComfyNode
{
    /// <summary>The weight storage choices, in the reference's order.</summary>
    public static readonly IReadOnlyList<string> WeightDtypes = ["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"];

    /// <summary>The diffusion model file.</summary>
    public static readonly ComboInput UnetName = new("unet_name", services => LoaderServices.List(services, "diffusion_models")) { OneElementSpec = true };

    /// <summary>Storage precision of the weights.</summary>
    public static readonly ComboInput WeightDtype = new("weight_dtype", WeightDtypes) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "UNETLoader",
        DisplayName = "Load Diffusion Model",
        Category = "advanced/loaders",
        Required = [UnetName, WeightDtype],
        Outputs = [new OutputSpec(IOTypes.MODEL)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string dtype = inputs.Get(WeightDtype);
        if (dtype != "default")
        {
            // fp8 storage with per-layer up-casting is not implemented; silently loading full precision would give other numbers than the reference.
            throw new NotSupportedException($"weight_dtype '{dtype}' is not supported by this server; use 'default'.");
        }
        string path = LoaderServices.Resolve(context.Services, "diffusion_models", inputs.Get(UnetName));
        return ValueTask.FromResult(NodeOutput.Of(new ModelPatcher(LoaderServices.LoadUNet(context.Services, path))));
    }
}
