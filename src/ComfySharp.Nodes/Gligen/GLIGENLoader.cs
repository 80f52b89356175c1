using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Gligen;
using ComfySharp.Nodes.Loaders;
using ComfySharp.Torch.Models;

namespace ComfySharp.Nodes.Gligen;

/// <summary>Loads a GLIGEN model (gated self-attention per UNet transformer block and the position net) from the <c>gligen</c> folder.</summary>
public sealed class GLIGENLoader : ComfyNode
{
    /// <summary>Model-manager variant of GLIGEN models.</summary>
    public const string Variant = "gligen";

    /// <summary>The file.</summary>
    public static readonly ComboInput GligenName = new("gligen_name", services => LoaderServices.List(services, "gligen")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "GLIGENLoader",
        DisplayName = "GLIGENLoader",
        Category = "loaders",
        Required = [GligenName],
        Outputs = [new OutputSpec("GLIGEN")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "gligen", inputs.Get(GligenName));
        var manager = context.Services.GetService(typeof(ModelManager)) as ModelManager;
        GligenModel model = manager is null
            ? GligenModel.LoadFile(path, new ComputeOptions())
            : manager.GetOrLoad(path, Variant, p => GligenModel.LoadFile(p, manager.Options));
        return ValueTask.FromResult(NodeOutput.Of(model));
    }
}
