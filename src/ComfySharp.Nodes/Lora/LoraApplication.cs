using ComfySharp.Abstractions.Files;
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
        var names = model.Network.Module.named_parameters().Select(p => p.name).ToList();
        return model.WithPatches(lora.PatchesFor(LoraKeyMap.ForUNet(names), strength));
    }

    public static object PatchClip(object clip, LoraFile lora, double strength)
    {
        if (clip is not IPatchableTextEncoder patchable)
        {
            throw new InvalidOperationException($"This CLIP ({clip.GetType().Name}) cannot take LoRA patches.");
        }
        return patchable.WithPatches(lora.PatchesFor(LoraKeyMap.ForTextEncoder(patchable.PatchableParameterNames), strength));
    }
}
