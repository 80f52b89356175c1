using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Nodes.Image;
using ComfySharp.Protocol;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Writes the latent's samples as a <c>.latent</c> file (safetensors with the format marker) into the
/// output directory, with the prompt and workflow as safetensors metadata strings.
/// </summary>
public sealed class SaveLatent : ComfyNode
{
    /// <summary>The latent to save.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };

    /// <summary>File-name prefix, may name a subfolder of the output directory.</summary>
    public static readonly StringInput FilenamePrefix = new("filename_prefix") { Default = "latents/ComfyUI" };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SaveLatent",
        Category = "_for_testing",
        OutputNode = true,
        Required = [Samples, FilenamePrefix],
        Hidden = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)],
        Outputs = [],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var directories = context.GetService<ComfyDirectories>();
        LatentValue latent = inputs.Get(Samples);
        // The reference resolves latent names with a zero width and height (%width% becomes 0).
        SaveTarget target = ImageSaver.Resolve(inputs.Get(FilenamePrefix), directories.Output, 0, 0, DateTime.Now);
        string file = $"{target.FileName}_{target.Counter.ToString("00000", CultureInfo.InvariantCulture)}_{LatentFiles.Extension}";
        using (NewDisposeScope())
        {
            var tensors = new List<KeyValuePair<string, Tensor>>
            {
                new(LatentFiles.TensorKey, latent.Samples.contiguous()),
                new(LatentFiles.VersionMarkerKey, empty([0L], ScalarType.Float32)),
            };
            SafeTensorsWriter.Write(Path.Combine(target.Folder, file), tensors, Metadata(context));
        }
        ImageSaver.Remember(target, target.Counter + 1);
        var entry = new JsonObject { ["filename"] = file, ["subfolder"] = target.Subfolder, ["type"] = "output" };
        return ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["latents"] = new JsonArray(entry) }));
    }

    /// <summary>
    /// The safetensors metadata: <c>prompt</c> (empty text without a prompt) and each <c>extra_pnginfo</c>
    /// entry as Python-style JSON; none at all when metadata is disabled.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? Metadata(NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ServerOptions.From(context.Services).DisableMetadata)
        {
            return null;
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = context.Prompt is { } prompt ? PythonJson.Serialize(prompt) : "",
        };
        if (context.ExtraPngInfo is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                metadata[key] = PythonJson.Serialize(value);
            }
        }
        return metadata;
    }
}
