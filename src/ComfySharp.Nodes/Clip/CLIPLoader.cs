using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Torch.SafeTensors;

namespace ComfySharp.Nodes.Clip;

/// <summary>Loads a standalone text encoder from the <c>text_encoders</c> folder.</summary>
public sealed class CLIPLoader : ComfyNode
{
    /// <summary>The model folder of text encoders.</summary>
    public const string FolderName = "text_encoders";

    /// <summary>The model families offered (<c>stable_diffusion</c>: CLIP-L, ViT-H or ViT-bigG by width; <c>stable_cascade</c>: ViT-bigG).</summary>
    public static readonly IReadOnlyList<string> Types =
    [
        "stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv", "pixart", "cosmos", "lumina2", "wan",
        "hidream", "chroma", "ace", "omnigen2", "qwen_image", "hunyuan_image", "flux2", "ovis",
    ];

    /// <summary>The file.</summary>
    public static readonly ComboInput ClipName = new("clip_name", ListFiles) { OneElementSpec = true };

    /// <summary>The model family.</summary>
    public static readonly ComboInput Type = new("type", Types) { OneElementSpec = true };

    /// <summary>Where the model runs.</summary>
    public static readonly ComboInput Device = new("device", ["default", "cpu"]) { ExtraOptions = new() { ["advanced"] = true } };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPLoader",
        DisplayName = "Load CLIP",
        Category = "advanced/loaders",
        Description = "[Recipes]\n\nstable_diffusion: clip-l\nstable_cascade: clip-g\nsd3: t5 xxl/ clip-g / clip-l\nstable_audio: t5 base\nmochi: t5 xxl\ncosmos: old t5 xxl\nlumina2: gemma 2 2B\nwan: umt5 xxl\n hidream: llama-3.1 (Recommend) or t5\nomnigen2: qwen vl 2.5 3B",
        Required = [ClipName, Type],
        Optional = [Device],
        Outputs = [new OutputSpec(IOTypes.CLIP)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    private static IReadOnlyList<string> ListFiles(IServiceProvider services) =>
        services.GetService(typeof(ModelFolders)) is ModelFolders folders ? folders.List(FolderName) : [];

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string name = inputs.Get(ClipName);
        string type = inputs.Get(Type);
        if (type is not ("stable_diffusion" or "stable_cascade"))
        {
            throw new NotSupportedException($"CLIPLoader type '{type}' is not supported by this server yet; 'stable_diffusion' (CLIP-L, OpenCLIP ViT-H or ViT-bigG) and 'stable_cascade' (ViT-bigG) are.");
        }
        ModelFolders folders = context.GetService<ModelFolders>();
        string path = folders.ResolveOrThrow(FolderName, name);
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        ClipModel clip = ClipModel.FromTextEncoderFile(file).WithEmbeddings(new FolderTextualInversionSource(folders));
        return ValueTask.FromResult(NodeOutput.Of(clip));
    }
}
