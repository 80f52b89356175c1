using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Diffusion.StyleModel;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.StyleModel;

/// <summary>
/// Appends the style tokens a style model makes from a CLIP vision encoding to every conditioning entry's tokens;
/// <c>multiply</c> scales them by the strength, <c>attn_bias</c> records log(strength) as an attention bias over them.
/// </summary>
public sealed class StyleModelApply : ComfyNode
{
    /// <summary>Option key of the attention bias matrix [B, T, T] (the reference's <c>attention_mask</c>).</summary>
    public const string AttentionMask = "attention_mask";
    /// <summary>Option key of the reference image's token grid size (the reference's <c>attention_mask_img_shape</c>).</summary>
    public const string AttentionMaskImageShape = "attention_mask_img_shape";

    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The style model.</summary>
    public static readonly SocketInput<StyleAdapter> StyleModel = new("style_model", "STYLE_MODEL") { OneElementSpec = true };
    /// <summary>The CLIP vision encoding of the style image.</summary>
    public static readonly SocketInput<ClipVisionOutput> ClipVisionOutput = new("clip_vision_output", "CLIP_VISION_OUTPUT") { OneElementSpec = true };
    /// <summary>How strongly the style tokens count.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.001 };
    /// <summary>How the strength is applied.</summary>
    public static readonly ComboInput StrengthType = new("strength_type", ["multiply", "attn_bias"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "StyleModelApply",
        DisplayName = "Apply Style Model",
        Category = "conditioning/style_model",
        Required = [Conditioning, StyleModel, ClipVisionOutput, Strength, StrengthType],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor tokens = inputs.Get(StyleModel).Forward(inputs.Get(ClipVisionOutput).LastHiddenState);
        var result = Apply(inputs.Get(Conditioning), tokens, inputs.Get(Strength), inputs.Get(StrengthType));
        foreach (ConditioningEntry entry in result)
        {
            entry.Embedding.DetachFromDisposeScope();
            (entry.Get(AttentionMask) as Tensor)?.DetachFromDisposeScope();
        }
        return ValueTask.FromResult(NodeOutput.Of(result));
    }

    /// <summary>The reference's <c>StyleModelApply.apply_stylemodel</c> on style tokens [B, n, C] (flattened to one sequence).</summary>
    public static ConditioningValue Apply(ConditioningValue conditioning, Tensor styleTokens, double strength, string strengthType)
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        ArgumentNullException.ThrowIfNull(styleTokens);
        Tensor cond = styleTokens.flatten(0, 1).unsqueeze(0);
        if (strengthType == "multiply")
        {
            cond = cond.Mul(strength);
        }
        long n = cond.shape[1];
        var output = new ConditioningValue();
        foreach (ConditioningEntry entry in conditioning)
        {
            Tensor text = entry.Embedding;
            if (text.shape[2] != cond.shape[2])
            {
                throw new InvalidOperationException($"The style tokens are {cond.shape[2]} wide but the conditioning's are {text.shape[2]} (the style model belongs to SD1.x).");
            }
            ConditioningEntry updated = entry with { Embedding = cat([text, cond.to(text.device).to_type(text.dtype).expand(text.shape[0], n, cond.shape[2])], 1) };
            if (entry.Get(AttentionMask) is not null || (strengthType == "attn_bias" && strength != 1.0))
            {
                updated = WithAttentionBias(updated, entry, text.shape[0], text.shape[1], n, strengthType == "attn_bias" ? strength : 1.0);
            }
            output.Add(updated);
        }
        return output;
    }

    /// <summary>Grows the bias matrix by the n style tokens: log(strength) from every text and reference token to them.</summary>
    private static ConditioningEntry WithAttentionBias(ConditioningEntry updated, ConditioningEntry entry, long batch, long nText, long n, double strength)
    {
        long[] refShape = entry.Get(AttentionMaskImageShape) as long[] ?? [1, 1];
        long nRef = refShape[0] * refShape[1];
        Tensor mask = entry.Get(AttentionMask) as Tensor ?? zeros([batch, nText + nRef, nText + nRef], ScalarType.Float16);
        if (mask.dtype == ScalarType.Bool)
        {
            mask = log(mask.to_type(ScalarType.Float16));
        }
        long total = nText + n + nRef;
        Tensor grown = zeros([batch, total, total], ScalarType.Float16);
        Tensor Block(Tensor t, long r0, long r1, long c0, long c1) => t.narrow(1, r0, r1 - r0).narrow(2, c0, c1 - c0);
        Block(grown, 0, nText, 0, nText).copy_(Block(mask, 0, nText, 0, nText));
        Block(grown, 0, nText, nText + n, total).copy_(Block(mask, 0, nText, nText, nText + nRef));
        Block(grown, nText + n, total, 0, nText).copy_(Block(mask, nText, nText + nRef, 0, nText));
        Block(grown, nText + n, total, nText + n, total).copy_(Block(mask, nText, nText + nRef, nText, nText + nRef));
        using Tensor bias = log(tensor(new[] { (float)strength })).to_type(ScalarType.Float16);
        Block(grown, 0, nText, nText, nText + n).copy_(bias.expand(batch, nText, n));
        Block(grown, nText + n, total, nText, nText + n).copy_(bias.expand(batch, nRef, n));
        return updated.With(AttentionMask, grown).With(AttentionMaskImageShape, refShape);
    }
}
