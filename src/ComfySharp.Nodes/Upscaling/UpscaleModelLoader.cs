using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Upscale;
using ComfySharp.Nodes.Loaders;

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
        UpscaleNetwork network = LoaderServices.LoadShared(context.Services, path, Variant, (file, options) => UpscaleModelLoading.LoadFile(file, options));
        return ValueTask.FromResult(NodeOutput.Of(network));
    }
}
