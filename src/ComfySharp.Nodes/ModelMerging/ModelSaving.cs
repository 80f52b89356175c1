using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Nodes.Image;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>
/// Writes models as <c>.safetensors</c> in the reference's key layout (SD1 checkpoint prefixes), with the
/// weight patches (LoRA, merges) baked in, into the output folder as <c>&lt;prefix&gt;_00001_.safetensors</c>.
/// </summary>
internal static class ModelSaving
{
    public const string UNetPrefix = "model.diffusion_model.";
    public const string VaePrefix = "first_stage_model.";

    public static HiddenInput[] Hidden { get; } = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)];

    public static StringInput FilenamePrefix(string defaultValue) => new("filename_prefix") { Default = defaultValue };

    public static SocketInput<ModelPatcher> Model() => new("model", IOTypes.MODEL) { OneElementSpec = true };

    public static SocketInput<object> Clip() => new("clip", IOTypes.CLIP) { OneElementSpec = true };

    public static SocketInput<VaeModel> Vae() => new("vae", IOTypes.VAE) { OneElementSpec = true };

    public static NodeSchema Schema(string classType, string? displayName, IReadOnlyList<InputSpec> required) => new()
    {
        ClassType = classType,
        DisplayName = displayName,
        Category = MergeSupport.Category,
        PythonModule = MergeSupport.Module,
        OutputNode = true,
        Required = required,
        Hidden = Hidden,
        Outputs = [],
    };

    /// <summary>Saves the parts produced by <paramref name="collect"/> (key → tensor, all within one dispose scope) and returns the path.</summary>
    public static string Save(NodeContext context, string filenamePrefix, Action<Dictionary<string, Tensor>> collect)
    {
        var directories = context.GetService<ComfyDirectories>();
        SaveTarget target = ImageSaver.Resolve(filenamePrefix, directories.Output, 0, 0, DateTime.Now);
        Directory.CreateDirectory(target.Folder);
        string path = Path.Combine(target.Folder, $"{target.FileName}_{target.Counter:D5}_.safetensors");
        var metadata = ImageSaver.Metadata(context).ToDictionary(e => e.Keyword, e => e.Text, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        collect(tensors);
        SafeTensorsWriter.Write(path, tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal), metadata.Count == 0 ? null : metadata);
        return path;
    }

    /// <summary>The UNet's weights with the model's patches applied, under <paramref name="prefix"/>.</summary>
    public static void AddUNet(Dictionary<string, Tensor> into, ModelPatcher model, string prefix = UNetPrefix)
    {
        nn.Module module = model.Network.Module;
        lock (module)
        {
            using var patches = WeightPatching.Apply(module, model.Patches);
            foreach (var (name, weight) in WeightMerging.Weights(module))
            {
                into[prefix + name] = weight.detach().cpu().clone();
            }
        }
    }

    /// <summary>The VAE's weights under <paramref name="prefix"/>.</summary>
    public static void AddVae(Dictionary<string, Tensor> into, VaeModel vae, string prefix = VaePrefix)
    {
        foreach (var (name, weight) in WeightMerging.Weights(vae.Network))
        {
            into[prefix + name] = weight.detach().cpu().clone();
        }
    }

    /// <summary>The SD1 CLIP text encoder's weights (patches applied, rounded to the storage type) under <paramref name="prefix"/>.</summary>
    public static void AddClip(Dictionary<string, Tensor> into, object clip, string prefix = ClipModel.Sd1CheckpointPrefix)
    {
        if (clip is not ClipModel model)
        {
            throw new NotSupportedException($"Saving supports single CLIP text encoders; got {clip.GetType().Name}.");
        }
        var patches = model.Patches.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (name, stored) in WeightMerging.Weights(model.Encoder))
        {
            Tensor weight = stored.detach().cpu();
            if (patches.TryGetValue(name, out var own))
            {
                // As the encoder applies them: every delta from the stored weight, summed in float32.
                Tensor original = weight.to_type(ScalarType.Float32);
                Tensor patched = original.clone();
                foreach (WeightPatch patch in own)
                {
                    patched.AddScaledInPlace(patch.ComputeDelta(original).to_type(ScalarType.Float32).reshape(patched.shape), patch.Strength);
                }
                weight = patched.to_type(stored.dtype);
            }
            into[prefix + name] = weight.clone();
        }
    }

    /// <summary>What a save node returns: no values and no UI entry, as in the reference.</summary>
    public static NodeOutput Done() => NodeOutput.Of();
}
