using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Schema and model helpers shared by the model-patch nodes.</summary>
internal static class PatchSupport
{
    /// <summary>A model input (served as <c>["MODEL", {}]</c>).</summary>
    public static SocketInput<ModelPatcher> Model() => new("model", IOTypes.MODEL);

    /// <summary>The schema of a new-style patch node with one MODEL output.</summary>
    public static NodeSchema Schema(string classType, string category, string module, IReadOnlyList<InputSpec> required, string? outputName = null) => new()
    {
        ClassType = classType,
        Category = category,
        PythonModule = module,
        Flavor = NodeFlavor.Schema,
        Required = required,
        Outputs = [new OutputSpec(IOTypes.MODEL, outputName)],
    };

    /// <summary>The UNet's base channel count; a model that is not an LDM UNet is a clear node error.</summary>
    public static int ModelChannels(ModelPatcher model, string node) => model.Network is UNetModel unet
        ? unet.Config.ModelChannels
        : throw new NodeException("ValueError", $"{node} patches the blocks of a UNet; this model ({model.Network.GetType().Name}) has none.");
}
