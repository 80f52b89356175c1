using ComfySharp.Abstractions;
using ComfySharp.Diffusion.StyleModel;
using ComfySharp.Nodes.Loaders;

namespace ComfySharp.Nodes.StyleModel;

/// <summary>Loads a T2I-Adapter style model from the <c>style_models</c> folder.</summary>
public sealed class StyleModelLoader : ComfyNode
{
    /// <summary>Model-manager variant of style models.</summary>
    public const string Variant = "style_model";

    /// <summary>The file.</summary>
    public static readonly ComboInput StyleModelName = new("style_model_name", services => LoaderServices.List(services, "style_models")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "StyleModelLoader",
        DisplayName = "Load Style Model",
        Category = "loaders",
        Required = [StyleModelName],
        Outputs = [new OutputSpec("STYLE_MODEL")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "style_models", inputs.Get(StyleModelName));
        StyleAdapter model = LoaderServices.LoadShared(context.Services, path, Variant, StyleAdapter.LoadFile);
        return ValueTask.FromResult(NodeOutput.Of(model));
    }
}
