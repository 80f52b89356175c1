using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Vae;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Saves MODEL, CLIP and VAE as one SD checkpoint (<c>.safetensors</c>) with every patch baked in.</summary>
public sealed class CheckpointSave : ComfyNode
{
    /// <summary>The diffusion model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = ModelSaving.Model();
    /// <summary>The text encoder.</summary>
    public static readonly SocketInput<object> Clip = ModelSaving.Clip();
    /// <summary>The VAE.</summary>
    public static readonly SocketInput<VaeModel> Vae = ModelSaving.Vae();
    /// <summary>Path and name start under the output folder.</summary>
    public static readonly StringInput FilenamePrefix = ModelSaving.FilenamePrefix("checkpoints/ComfyUI");

    private static readonly NodeSchema Definition = ModelSaving.Schema("CheckpointSave", "Save Checkpoint", [Model, Clip, Vae, FilenamePrefix]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelSaving.Save(context, inputs.Get(FilenamePrefix), tensors =>
        {
            ModelSaving.AddUNet(tensors, inputs.Get(Model));
            ModelSaving.AddClip(tensors, inputs.Get(Clip));
            ModelSaving.AddVae(tensors, inputs.Get(Vae));
        });
        return ValueTask.FromResult(ModelSaving.Done());
    }
}
