using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Vae;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Saves the VAE alone (keys without a prefix, as VAELoader reads them).</summary>
public sealed class VAESave : ComfyNode
{
    /// <summary>The VAE.</summary>
    public static readonly SocketInput<VaeModel> Vae = ModelSaving.Vae();
    /// <summary>Path and name start under the output folder.</summary>
    public static readonly StringInput FilenamePrefix = ModelSaving.FilenamePrefix("vae/ComfyUI_vae");

    private static readonly NodeSchema Definition = ModelSaving.Schema("VAESave", null, [Vae, FilenamePrefix]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ModelSaving.Save(context, inputs.Get(FilenamePrefix), tensors => ModelSaving.AddVae(tensors, inputs.Get(Vae), ""));
        return ValueTask.FromResult(ModelSaving.Done());
    }
}
