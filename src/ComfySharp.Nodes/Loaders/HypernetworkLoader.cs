using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hypernetwork;
using ComfySharp.Diffusion.Models;
using ComfySharp.Nodes.ModelPatches;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Loaders;

/// <summary>
/// Loads a hypernetwork from the <c>hypernetworks</c> folder and patches the model's attentions with it: every
/// self- and cross-attention whose key width the hypernetwork knows gets its key and value inputs offset.
/// </summary>
public sealed class HypernetworkLoader : ComfyNode
{
    /// <summary>Model-manager variant of hypernetworks.</summary>
    public const string Variant = "hypernetwork";

    /// <summary>The model to patch.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>The hypernetwork file.</summary>
    public static readonly ComboInput HypernetworkName = new("hypernetwork_name", services => LoaderServices.List(services, "hypernetworks"));
    /// <summary>Multiplier of the offsets.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = -10.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("HypernetworkLoader", "loaders", "comfy_extras.nodes_hypernetwork",
        [Model, HypernetworkName, Strength]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string path = LoaderServices.Resolve(context.Services, "hypernetworks", inputs.Get(HypernetworkName));
        HypernetworkModel hypernetwork = LoaderServices.LoadShared(context.Services, path, Variant, (file, _) => HypernetworkModel.Load(file));
        double strength = inputs.Get(Strength);
        AttentionInputPatch patch = (query, key, value, _) =>
        {
            (Tensor k, Tensor v) = hypernetwork.Apply(key, value, strength);
            return (query, k, v);
        };
        ModelPatcher patched = inputs.Get(Model).WithOptions(o => o with
        {
            SelfAttentionPatches = [.. o.SelfAttentionPatches, patch],
            CrossAttentionPatches = [.. o.CrossAttentionPatches, patch],
        });
        return ValueTask.FromResult(NodeOutput.Of(patched));
    }
}
