using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Lora;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.Lora;

/// <summary>Shared LoRA node logic: file resolution, the one-file cache of a node instance, patching.</summary>
internal sealed class LoraApplication
{
    private (string Path, LoraFile File)? _loaded;

    public static IReadOnlyList<string> LoraNames(IServiceProvider services) =>
        (services.GetService(typeof(ModelFolders)) as ModelFolders)?.List("loras") ?? [];

    public LoraFile Load(IServiceProvider services, string name)
    {
        var folders = services.GetService(typeof(ModelFolders)) as ModelFolders
            ?? throw new InvalidOperationException("Model folders are not configured.");
        string path = folders.ResolveOrThrow("loras", name);
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Only .safetensors LoRA files can be loaded: {name}");
        }
        if (_loaded is { } cached && cached.Path == path)
        {
            return cached.File;
        }
        _loaded?.File.Dispose();
        LoraFile file = LoraFile.Load(path);
        _loaded = (path, file);
        return file;
    }

    public static ModelPatcher PatchModel(ModelPatcher model, LoraFile lora, double strength)
    {
        var map = UNetMap(model);
        if (!lora.Weights.Keys.Any(map.ContainsKey))
        {
            throw NotLoaded(lora, map, null, "the diffusion model");
        }
        return model.WithPatches(lora.PatchesFor(map, strength));
    }

    public static Dictionary<string, string> UNetMap(ModelPatcher model) =>
        LoraKeyMap.ForUNet(model.Network.Module.named_parameters().Select(p => p.name).ToList());

    /// <summary>The LoRA key → patch key map of a CLIP (per tower for SDXL).</summary>
    public static Dictionary<string, string> ClipMap(ClipModel clip)
    {
        if (clip.Towers.Count == 1)
        {
            return LoraKeyMap.ForTextEncoder(clip.Encoder.named_parameters().Select(p => p.name).ToList());
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < clip.Towers.Count; i++)
        {
            ClipTower tower = clip.Towers[i];
            foreach (var (key, target) in LoraKeyMap.ForTextEncoderTower(tower.Encoder.named_parameters().Select(p => p.name).ToList(), i + 1, tower.PatchPrefix))
            {
                map[key] = target;
            }
        }
        return map;
    }

    /// <summary>
    /// LoraLoader: every module of the file must reach a weight of the model or the CLIP (a LoRA for another
    /// architecture is refused, listing the keys the reference would report as not loaded).
    /// </summary>
    public static void EnsureAllKeysLoad(LoraFile lora, ModelPatcher model, object? clip)
    {
        var unet = UNetMap(model);
        Dictionary<string, string>? clipMap = clip is ClipModel c ? ClipMap(c) : null;
        if (clipMap is null && clip is not null)
        {
            return;
        }
        string[] missing = [.. lora.Weights.Keys.Where(k => !unet.ContainsKey(k) && (clipMap is null || !clipMap.ContainsKey(k))).Order(StringComparer.Ordinal)];
        if (missing.Length > 0)
        {
            throw NotLoaded(lora, unet, clipMap, "this model and CLIP");
        }
    }

    private static InvalidOperationException NotLoaded(LoraFile lora, Dictionary<string, string> unet, Dictionary<string, string>? clip, string what)
    {
        string[] missing = [.. lora.Weights.Keys.Where(k => !unet.ContainsKey(k) && (clip is null || !clip.ContainsKey(k))).Order(StringComparer.Ordinal)];
        string list = string.Join(", ", missing.Take(20)) + (missing.Length > 20 ? $", ... ({missing.Length} in all)" : "");
        return new InvalidOperationException(
            $"This LoRA does not fit {what} (made for another architecture?): {missing.Length} of {lora.Weights.Count} LoRA keys not loaded: {list}");
    }

    public static object PatchClip(object clip, LoraFile lora, double strength)
    {
        if (clip is ClipModel clipModel)
        {
            return clipModel.WithPatches(lora.PatchesFor(ClipMap(clipModel), strength));
        }
        if (clip is not IPatchableTextEncoder patchable)
        {
            throw new InvalidOperationException($"This CLIP ({clip.GetType().Name}) cannot take LoRA patches.");
        }
        return patchable.WithPatches(lora.PatchesFor(LoraKeyMap.ForTextEncoder(patchable.PatchableParameterNames), strength));
    }
}
