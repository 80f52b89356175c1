using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Gligen;
using ComfySharp.Nodes.Loaders;

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
        GligenModel model = LoaderServices.LoadShared(context.Services, path, Variant, GligenModel.LoadFile);
        return ValueTask.FromResult(NodeOutput.Of(model));
    }
}
