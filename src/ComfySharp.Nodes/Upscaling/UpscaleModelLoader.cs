using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Upscale;
using ComfySharp.Nodes.Loaders;
using ComfySharp.Torch.Models;

namespace ComfySharp.Nodes.Upscaling;

/// <summary>Loads an ESRGAN or Real-ESRGAN compact model from the <c>upscale_models</c> folder; the architecture comes from the keys.</summary>
public sealed class UpscaleModelLoader : ComfyNode
{
    /// <summary>Model-manager variant name of upscale models.</summary>
    public const string Variant = "upscale_model";

    /// <summary>The model file.</summary>
    public static readonly ComboInput ModelName = new("model_name", services => LoaderServices.List(services, "upscale_models"));

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "UpscaleModelLoader",
        DisplayName = "Load Upscale Model",
        Category = "loaders",
        PythonModule = "comfy_extras.nodes_upscale_model",
        Flavor = NodeFlavor.Schema,
        Required = [ModelName],
        Outputs = [new OutputSpec(IOTypes.UPSCALE_MODEL)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "upscale_models", inputs.Get(ModelName));
        var manager = context.Services.GetService(typeof(ModelManager)) as ModelManager;
        UpscaleNetwork network = manager is null
            ? UpscaleModelLoading.LoadFile(path, new ComputeOptions())
            : manager.GetOrLoad(path, Variant, p => UpscaleModelLoading.LoadFile(p, manager.Options));
        return ValueTask.FromResult(NodeOutput.Of(network));
    }
}
