using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.ClipVision;

namespace ComfySharp.Nodes.Loaders;

/// <summary>
/// Loads an SD 2.1 unCLIP checkpoint: MODEL, CLIP and VAE as <see cref="CheckpointLoaderSimple"/> does, plus the image
/// encoder it embeds under <c>embedder.model.visual.</c> (null for a checkpoint without one, as in the reference).
/// </summary>
#pragma warning disable IDE1006 // The class name is the reference's class_type, which starts with a lower-case letter.
public sealed class unCLIPCheckpointLoader : ComfyNode
#pragma warning restore IDE1006
{
    /// <summary>Model-manager variant of the image encoder read from a checkpoint.</summary>
    public const string ClipVisionVariant = "unclip_clip_vision";

    /// <summary>The checkpoint file.</summary>
    public static readonly ComboInput CkptName = new("ckpt_name", services => LoaderServices.List(services, "checkpoints")) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "unCLIPCheckpointLoader",
        DisplayName = "unCLIPCheckpointLoader",
        Category = "loaders",
        Required = [CkptName],
        Outputs = [new OutputSpec(IOTypes.MODEL), new OutputSpec(IOTypes.CLIP), new OutputSpec(IOTypes.VAE), new OutputSpec("CLIP_VISION")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "checkpoints", inputs.Get(CkptName));
        LoadedCheckpoint checkpoint = LoaderServices.LoadCheckpoint(context.Services, path);
        ClipVisionModel? vision = null;
        bool hasVision;
        using (var file = Torch.SafeTensors.SafeTensorsFile.Open(path))
        {
            hasVision = ClipVisionCheckpointLoading.Contains(file, ClipVisionCheckpointLoading.UnclipPrefix);
        }
        if (hasVision)
        {
            vision = LoaderServices.LoadShared(context.Services, path, ClipVisionVariant,
                (file, options) => ClipVisionCheckpointLoading.LoadFromCheckpoint(file, ClipVisionCheckpointLoading.UnclipPrefix, options));
        }
        return ValueTask.FromResult(NodeOutput.Of(checkpoint.Model, LoaderServices.ClipFor(context.Services, checkpoint), checkpoint.Vae, vision));
    }
}
