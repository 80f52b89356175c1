using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Clip;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Encodes a second text that ControlNets read instead of each conditioning entry's own text embedding.</summary>
public sealed class CLIPTextEncodeControlnet : ComfyNode
{
    /// <summary>The CLIP model.</summary>
    public static readonly SocketInput<ClipModel> Clip = new("clip", IOTypes.CLIP);
    /// <summary>The conditioning to extend.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING);
    /// <summary>The text for the ControlNets.</summary>
    public static readonly StringInput Text = new("text") { Multiline = true, DynamicPrompts = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPTextEncodeControlnet",
        Category = "_for_testing/conditioning",
        PythonModule = "comfy_extras.nodes_cond",
        Flavor = NodeFlavor.Schema,
        Experimental = true,
        Required = [Clip, Conditioning, Text],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ClipModel clip = inputs.GetOrDefault(Clip, null!) ?? throw new InvalidOperationException(CLIPTextEncode.NullClipError);
        context.CancellationToken.ThrowIfCancellationRequested();
        if (clip.Embeddings is null && context.Services.GetService(typeof(ModelFolders)) is ModelFolders folders)
        {
            clip = clip.WithEmbeddings(new FolderTextualInversionSource(folders));
        }
        using var scope = NewDisposeScope();
        (Tensor cond, Tensor pooled) = clip.EncodeTokens(clip.Tokenize(inputs.Get(Text)));
        cond.MoveToOuterDisposeScope();
        pooled.MoveToOuterDisposeScope();
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(entry => entry
            .With(ConditioningKeys.CrossAttnControlNet, cond)
            .With(ConditioningKeys.PooledOutputControlNet, pooled)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
