using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Models;
using ComfySharp.Nodes.Loaders;
using ComfySharp.Torch.Models;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>Loads a ControlNet that may be stored as a difference to <c>model</c>'s UNet weights.</summary>
public sealed class DiffControlNetLoader : ComfyNode
{
    /// <summary>The model a difference ControlNet is relative to.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };
    /// <summary>The ControlNet file.</summary>
    public static readonly ComboInput ControlNetName = new("control_net_name", services => LoaderServices.List(services, "controlnet")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "DiffControlNetLoader",
        DisplayName = "Load ControlNet Model (diff)",
        Category = "loaders",
        Required = [Model, ControlNetName],
        Outputs = [new OutputSpec("CONTROL_NET")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelPatcher model = inputs.Get(Model);
        string path = LoaderServices.Resolve(context.Services, "controlnet", inputs.Get(ControlNetName));
        ComputeOptions options = LoaderServices.Compute(context.Services);
        // The weights depend on the model, so the result is not shared through the model manager.
        return ValueTask.FromResult(NodeOutput.Of(new ControlNetValue(ControlNetLoading.LoadFile(path, options, model.Network), [])));
    }
}
