using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Checkpoints;

namespace ComfySharp.Nodes.Loaders;

/// <summary>Loads a checkpoint from <c>checkpoints</c>, detects its architecture and returns MODEL, CLIP and VAE.</summary>
public sealed class CheckpointLoaderSimple : ComfyNode
{
    /// <summary>The checkpoint file.</summary>
    public static readonly ComboInput CkptName = new("ckpt_name", services => LoaderServices.List(services, "checkpoints"))
    {
        Tooltip = "The checkpoint (model) file to load.",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CheckpointLoaderSimple",
        DisplayName = "Load Checkpoint",
        Category = "loaders",
        Description = "Loads a diffusion model checkpoint; the diffusion model denoises latents.",
        Required = [CkptName],
        Outputs =
        [
            new OutputSpec(IOTypes.MODEL, Tooltip: "The diffusion model that denoises latents."),
            new OutputSpec(IOTypes.CLIP, Tooltip: "The text encoder that turns prompts into conditioning."),
            new OutputSpec(IOTypes.VAE, Tooltip: "The autoencoder that converts images to and from latent space."),
        ],
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
        return ValueTask.FromResult(NodeOutput.Of(checkpoint.Model, LoaderServices.ClipFor(context.Services, checkpoint), checkpoint.Vae));
    }
}
