using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Nodes.Loaders;

namespace ComfySharp.Nodes.ClipVision;

/// <summary>Loads a CLIP vision tower (ViT-L/14, ViT-H/14, ViT-bigG/14, told apart by their keys) from the <c>clip_vision</c> folder.</summary>
public sealed class CLIPVisionLoader : ComfyNode
{
    /// <summary>Model-manager variant of CLIP vision towers.</summary>
    public const string Variant = "clip_vision";

    /// <summary>The file.</summary>
    public static readonly ComboInput ClipName = new("clip_name", services => LoaderServices.List(services, "clip_vision")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPVisionLoader",
        DisplayName = "Load CLIP Vision",
        Category = "loaders",
        Required = [ClipName],
        Outputs = [new OutputSpec("CLIP_VISION")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "clip_vision", inputs.Get(ClipName));
        ClipVisionModel model = LoaderServices.LoadShared(context.Services, path, Variant, (file, options) => ClipVisionLoading.LoadFile(file, options));
        return ValueTask.FromResult(NodeOutput.Of(model));
    }
}
