using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.UNet;

namespace ComfySharp.Nodes.Clip;

/// <summary>
/// SDXL text encoding with separate prompts per tower (<c>text_g</c> for ViT-bigG, <c>text_l</c> for CLIP-L) and the
/// size/crop/target values the UNet's ADM vector is built from. The tower with fewer chunks is padded with empty chunks.
/// </summary>
public sealed class CLIPTextEncodeSDXL : ComfyNode
{
    /// <summary>The CLIP (an SDXL one).</summary>
    public static readonly SocketInput<ClipModel> Clip = new("clip", IOTypes.CLIP);
    /// <summary>Original image width.</summary>
    public static readonly IntInput Width = new("width") { Default = 1024, Min = 0, Max = 16384 };
    /// <summary>Original image height.</summary>
    public static readonly IntInput Height = new("height") { Default = 1024, Min = 0, Max = 16384 };
    /// <summary>Crop from the left.</summary>
    public static readonly IntInput CropW = new("crop_w") { Default = 0, Min = 0, Max = 16384 };
    /// <summary>Crop from the top.</summary>
    public static readonly IntInput CropH = new("crop_h") { Default = 0, Min = 0, Max = 16384 };
    /// <summary>Target width.</summary>
    public static readonly IntInput TargetWidth = new("target_width") { Default = 1024, Min = 0, Max = 16384 };
    /// <summary>Target height.</summary>
    public static readonly IntInput TargetHeight = new("target_height") { Default = 1024, Min = 0, Max = 16384 };
    /// <summary>Prompt for the bigG tower.</summary>
    public static readonly StringInput TextG = new("text_g") { Multiline = true, DynamicPrompts = true };
    /// <summary>Prompt for the CLIP-L tower.</summary>
    public static readonly StringInput TextL = new("text_l") { Multiline = true, DynamicPrompts = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPTextEncodeSDXL",
        Category = "advanced/conditioning",
        Description = "",
        PythonModule = "comfy_extras.nodes_clip_sdxl",
        Flavor = NodeFlavor.Schema,
        Required = [Clip, Width, Height, CropW, CropH, TargetWidth, TargetHeight, TextG, TextL],
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
        if (clip.Kind != ClipKind.Sdxl)
        {
            throw ClipEncoding.WrongClip("CLIPTextEncodeSDXL", clip, "an SDXL CLIP (CLIP-L and CLIP-G)");
        }
        context.CancellationToken.ThrowIfCancellationRequested();
        clip = ClipEncoding.WithFolders(clip, context);
        TokenizedPrompt g = clip.TokenizeTower("g", inputs.Get(TextG));
        TokenizedPrompt l = clip.TokenizeTower("l", inputs.Get(TextL));
        TokenizedPrompt tokens = ClipModel.FromTowers(new Dictionary<string, TokenizedPrompt>(StringComparer.Ordinal) { ["l"] = l, ["g"] = g });
        var sizes = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AdmEncoding.Width] = inputs.Get(Width),
            [AdmEncoding.Height] = inputs.Get(Height),
            [AdmEncoding.CropW] = inputs.Get(CropW),
            [AdmEncoding.CropH] = inputs.Get(CropH),
            [AdmEncoding.TargetWidth] = inputs.Get(TargetWidth),
            [AdmEncoding.TargetHeight] = inputs.Get(TargetHeight),
        };
        return ValueTask.FromResult(NodeOutput.Of(ClipEncoding.Encode(clip, tokens, sizes)));
    }
}
