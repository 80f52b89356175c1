using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Gligen;
using ComfySharp.Nodes.Clip;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Gligen;

/// <summary>
/// Places a text in a box for GLIGEN: the text's pooled embedding and the box (in latent cells) are appended to every
/// entry's GLIGEN boxes; sampling turns them into grounding tokens fused into each transformer block.
/// </summary>
public sealed class GLIGENTextBoxApply : ComfyNode
{
    /// <summary>The conditioning to add the box to.</summary>
    public static readonly SocketInput<ConditioningValue> ConditioningTo = new("conditioning_to", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The text encoder.</summary>
    public static readonly SocketInput<ClipModel> Clip = new("clip", IOTypes.CLIP) { OneElementSpec = true };
    /// <summary>The GLIGEN model.</summary>
    public static readonly SocketInput<GligenModel> GligenTextboxModel = new("gligen_textbox_model", "GLIGEN") { OneElementSpec = true };
    /// <summary>What is in the box.</summary>
    public static readonly StringInput Text = new("text") { Multiline = true, DynamicPrompts = true };
    /// <summary>Box width in pixels.</summary>
    public static readonly IntInput Width = new("width") { Default = 64, Min = 8, Max = 16384, Step = 8 };
    /// <summary>Box height in pixels.</summary>
    public static readonly IntInput Height = new("height") { Default = 64, Min = 8, Max = 16384, Step = 8 };
    /// <summary>Left edge in pixels.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Top edge in pixels.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 8 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "GLIGENTextBoxApply",
        DisplayName = "GLIGENTextBoxApply",
        Category = "conditioning/gligen",
        Required = [ConditioningTo, Clip, GligenTextboxModel, Text, Width, Height, X, Y],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        ClipModel clip = ClipEncoding.WithFolders(inputs.Get(Clip), context);
        Tensor pooled;
        using (NewDisposeScope())
        {
            pooled = clip.EncodeTokens(clip.Tokenize(inputs.Get(Text))).Pooled.DetachFromDisposeScope();
        }
        var box = new GligenBox(pooled, inputs.Get(Height) / 8, inputs.Get(Width) / 8, inputs.Get(Y) / 8, inputs.Get(X) / 8);
        return ValueTask.FromResult(NodeOutput.Of(Apply(inputs.Get(ConditioningTo), inputs.Get(GligenTextboxModel), box)));
    }

    /// <summary>Each entry gets <paramref name="box"/> after its previous boxes, with <paramref name="model"/>.</summary>
    public static ConditioningValue Apply(ConditioningValue conditioning, GligenModel model, GligenBox box)
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        return new ConditioningValue(conditioning.Select(e =>
        {
            IReadOnlyList<GligenBox> previous = e.Get(GligenCondition.Key) is GligenCondition g ? g.Boxes : [];
            return e.With(GligenCondition.Key, new GligenCondition(model, [.. previous, box]));
        }));
    }
}
