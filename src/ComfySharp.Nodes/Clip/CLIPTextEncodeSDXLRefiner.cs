using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.UNet;

namespace ComfySharp.Nodes.Clip;

/// <summary>Text encoding for the SDXL refiner: the prompt plus the aesthetic score and size of its ADM vector.</summary>
public sealed class CLIPTextEncodeSDXLRefiner : ComfyNode
{
    /// <summary>Aesthetic score.</summary>
    public static readonly FloatInput Ascore = new("ascore") { Default = 6.0, Min = 0.0, Max = 1000.0, Step = 0.01 };
    /// <summary>Image width.</summary>
    public static readonly IntInput Width = new("width") { Default = 1024, Min = 0, Max = 16384 };
    /// <summary>Image height.</summary>
    public static readonly IntInput Height = new("height") { Default = 1024, Min = 0, Max = 16384 };
    /// <summary>The prompt.</summary>
    public static readonly StringInput Text = new("text") { Multiline = true, DynamicPrompts = true };
    /// <summary>The CLIP.</summary>
    public static readonly SocketInput<ClipModel> Clip = new("clip", IOTypes.CLIP);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPTextEncodeSDXLRefiner",
        Category = "advanced/conditioning",
        Description = "",
        PythonModule = "comfy_extras.nodes_clip_sdxl",
        Flavor = NodeFlavor.Schema,
        Required = [Ascore, Width, Height, Text, Clip],
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
        clip = ClipEncoding.WithFolders(clip, context);
        var extra = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AdmEncoding.AestheticScore] = inputs.Get(Ascore),
            [AdmEncoding.Width] = inputs.Get(Width),
            [AdmEncoding.Height] = inputs.Get(Height),
        };
        return ValueTask.FromResult(NodeOutput.Of(ClipEncoding.Encode(clip, clip.Tokenize(inputs.Get(Text)), extra)));
    }
}
