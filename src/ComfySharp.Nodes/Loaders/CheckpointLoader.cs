using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Checkpoints;

namespace ComfySharp.Nodes.Loaders;

/// <summary>
/// Deprecated loader taking a YAML config besides the checkpoint. The config must exist in
/// <c>configs</c>; the architecture is still detected from the weights, which is what the configs
/// of the supported families describe.
/// </summary>
public sealed class CheckpointLoader : ComfyNode
{
    /// <summary>The YAML config file.</summary>
    public static readonly ComboInput ConfigName = new("config_name", services => LoaderServices.List(services, "configs")) { OneElementSpec = true };

    /// <summary>The checkpoint file.</summary>
    public static readonly ComboInput CkptName = new("ckpt_name", services => LoaderServices.List(services, "checkpoints")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CheckpointLoader",
        DisplayName = "Load Checkpoint With Config (DEPRECATED)",
        Category = "advanced/loaders",
        Deprecated = true,
        Required = [ConfigName, CkptName],
        Outputs = [new OutputSpec(IOTypes.MODEL), new OutputSpec(IOTypes.CLIP), new OutputSpec(IOTypes.VAE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var folders = context.GetService<ComfySharp.Abstractions.Files.ModelFolders>();
        folders.ResolveOrThrow("configs", inputs.Get(ConfigName));
        string path = LoaderServices.Resolve(context.Services, "checkpoints", inputs.Get(CkptName));
        LoadedCheckpoint checkpoint = LoaderServices.LoadCheckpoint(context.Services, path);
        return ValueTask.FromResult(NodeOutput.Of(checkpoint.Model, LoaderServices.ClipFor(context.Services, checkpoint), checkpoint.Vae));
    }
}
