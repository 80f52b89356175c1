using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Nodes.Loaders;
using ComfySharp.Torch.Models;

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
        var manager = context.Services.GetService(typeof(ModelManager)) as ModelManager;
        ClipVisionModel model = manager is null
            ? ClipVisionLoading.LoadFile(path, new ComputeOptions())
            : manager.GetOrLoad(path, Variant, p => ClipVisionLoading.LoadFile(p, manager.Options));
        return ValueTask.FromResult(NodeOutput.Of(model));
    }
}
