using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Nodes.Loaders;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>Loads a ControlNet (original or diffusers layout, union), a control-LoRA or a T2I-Adapter from the <c>controlnet</c> folder.</summary>
public sealed class ControlNetLoader : ComfyNode
{
    /// <summary>Model-manager variant of ControlNets.</summary>
    public const string Variant = "controlnet";

    /// <summary>The ControlNet file.</summary>
    public static readonly ComboInput ControlNetName = new("control_net_name", services => LoaderServices.List(services, "controlnet")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ControlNetLoader",
        DisplayName = "Load ControlNet Model",
        Category = "loaders",
        Required = [ControlNetName],
        Outputs = [new OutputSpec("CONTROL_NET")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "controlnet", inputs.Get(ControlNetName));
        IControlModel network = LoaderServices.LoadShared(context.Services, path, Variant, (file, options) => ControlNetLoading.LoadFile(file, options));
        return ValueTask.FromResult(NodeOutput.Of(new ControlNetValue(network, [])));
    }
}
