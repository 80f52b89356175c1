using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Torch.SafeTensors;

namespace ComfySharp.Nodes.Clip;

/// <summary>Loads two standalone text encoders as one CLIP (type <c>sdxl</c>: a CLIP-L and a CLIP-G file).</summary>
public sealed class DualCLIPLoader : ComfyNode
{
    /// <summary>The families offered (only <c>sdxl</c> is implemented).</summary>
    public static readonly IReadOnlyList<string> Types =
        ["sdxl", "sd3", "flux", "hunyuan_video", "hidream", "hunyuan_image", "hunyuan_video_15", "kandinsky5", "kandinsky5_image", "ltxv", "newbie"];

    /// <summary>First file.</summary>
    public static readonly ComboInput ClipName1 = new("clip_name1", ListFiles) { OneElementSpec = true };

    /// <summary>Second file.</summary>
    public static readonly ComboInput ClipName2 = new("clip_name2", ListFiles) { OneElementSpec = true };

    /// <summary>The model family.</summary>
    public static readonly ComboInput Type = new("type", Types) { OneElementSpec = true };

    /// <summary>Where the model runs.</summary>
    public static readonly ComboInput Device = new("device", ["default", "cpu"]) { ExtraOptions = new() { ["advanced"] = true } };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "DualCLIPLoader",
        DisplayName = "DualCLIPLoader",
        Category = "advanced/loaders",
        Description = "[Recipes]\n\nsdxl: clip-l, clip-g\nsd3: clip-l, clip-g / clip-l, t5 / clip-g, t5\nflux: clip-l, t5\nhidream: at least one of t5 or llama, recommended t5 and llama\nhunyuan_image: qwen2.5vl 7b and byt5 small\nnewbie: gemma-3-4b-it, jina clip v2",
        Required = [ClipName1, ClipName2, Type],
        Optional = [Device],
        Outputs = [new OutputSpec(IOTypes.CLIP)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    private static IReadOnlyList<string> ListFiles(IServiceProvider services) =>
        services.GetService(typeof(ModelFolders)) is ModelFolders folders ? folders.List(CLIPLoader.FolderName) : [];

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string type = inputs.Get(Type);
        if (type != "sdxl")
        {
            throw new NotSupportedException($"DualCLIPLoader type '{type}' is not supported by this server yet; only 'sdxl' (CLIP-L + CLIP-G) is.");
        }
        ModelFolders folders = context.GetService<ModelFolders>();
        using SafeTensorsFile first = SafeTensorsFile.Open(folders.ResolveOrThrow(CLIPLoader.FolderName, inputs.Get(ClipName1)));
        using SafeTensorsFile second = SafeTensorsFile.Open(folders.ResolveOrThrow(CLIPLoader.FolderName, inputs.Get(ClipName2)));
        ClipModel clip = ClipModel.CombineSdxl(first, second).WithEmbeddings(new FolderTextualInversionSource(folders));
        return ValueTask.FromResult(NodeOutput.Of(clip));
    }
}
