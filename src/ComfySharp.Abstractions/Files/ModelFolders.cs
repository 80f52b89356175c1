using System.Collections.Frozen;
namespace ComfySharp.Abstractions.Files;

/// <summary>
/// Model folder names, their ordered directories and allowed extensions (FILES.md §2), with listing
/// and name resolution. Extra paths (<c>extra_model_paths.yaml</c>) are added through <see cref="AddPath"/>.
/// </summary>
public sealed class ModelFolders
{
    /// <summary>The "model set" of extensions.</summary>
    public static readonly IReadOnlySet<string> ModelExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    { ".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft" };

    private static readonly FrozenDictionary<string, string> LegacyAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["clip"] = "text_encoders",
        ["unet"] = "diffusion_models",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly List<(string Name, List<string> Paths, IReadOnlySet<string>? Extensions)> _folders = [];

    /// <summary>Builds the default folders for a layout.</summary>
    public ModelFolders(ComfyDirectories directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        string m = directories.Models;
        string o = directories.Output;
        var model = ModelExtensions;
        Add("checkpoints", model, Path.Combine(m, "checkpoints"), Path.Combine(o, "checkpoints"));
        Add("configs", new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".yaml" }, Path.Combine(m, "configs"));
        Add("loras", model, Path.Combine(m, "loras"), Path.Combine(o, "loras"));
        Add("vae", model, Path.Combine(m, "vae"), Path.Combine(o, "vae"));
        Add("text_encoders", model, Path.Combine(m, "text_encoders"), Path.Combine(m, "clip"), Path.Combine(o, "clip"));
        Add("diffusion_models", model, Path.Combine(m, "unet"), Path.Combine(m, "diffusion_models"), Path.Combine(o, "diffusion_models"));
        Add("clip_vision", model, Path.Combine(m, "clip_vision"));
        Add("style_models", model, Path.Combine(m, "style_models"));
        Add("embeddings", model, Path.Combine(m, "embeddings"));
        Add("diffusers", new HashSet<string>(), Path.Combine(m, "diffusers"));
        Add("vae_approx", model, Path.Combine(m, "vae_approx"));
        Add("controlnet", model, Path.Combine(m, "controlnet"), Path.Combine(m, "t2i_adapter"));
        Add("gligen", model, Path.Combine(m, "gligen"));
        Add("upscale_models", model, Path.Combine(m, "upscale_models"));
        Add("latent_upscale_models", model, Path.Combine(m, "latent_upscale_models"));
        Add("custom_nodes", null, Path.Combine(directories.Base, "custom_nodes"));
        Add("hypernetworks", model, Path.Combine(m, "hypernetworks"));
        Add("photomaker", model, Path.Combine(m, "photomaker"));
        Add("classifiers", new HashSet<string> { "" }, Path.Combine(m, "classifiers"));
        Add("model_patches", model, Path.Combine(m, "model_patches"));
        Add("audio_encoders", model, Path.Combine(m, "audio_encoders"));
    }

    /// <summary>Folder names in the order of <c>GET /models</c>.</summary>
    public IEnumerable<string> Names => _folders.Select(f => f.Name);

    /// <summary>True for a known folder name (aliases are not names).</summary>
    public bool Contains(string name) => _folders.Any(f => f.Name == name);

    /// <summary>The ordered directories of a folder (aliases accepted).</summary>
    public IReadOnlyList<string> PathsOf(string name)
    {
        string canonical = Canonical(name);
        return _folders.FirstOrDefault(f => f.Name == canonical).Paths ?? [];
    }

    /// <summary>Adds a directory to a folder (creating unknown folders with no extension filter).</summary>
    public void AddPath(string folder, string path, bool isDefault = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        string canonical = Canonical(folder);
        int index = _folders.FindIndex(f => f.Name == canonical);
        if (index < 0)
        {
            _folders.Add((canonical, [], null));
            index = _folders.Count - 1;
        }
        List<string> paths = _folders[index].Paths;
        string full = Path.GetFullPath(path);
        if (isDefault)
        {
            paths.Remove(full);
            paths.Insert(0, full);
        }
        else if (!paths.Contains(full))
        {
            paths.Add(full);
        }
    }

    /// <summary>Every allowed file of a folder, relative with '/' separators, de-duplicated and sorted ordinally.</summary>
    public IReadOnlyList<string> List(string folder)
    {
        string canonical = Canonical(folder);
        var entry = _folders.FirstOrDefault(f => f.Name == canonical);
        if (entry.Paths is null)
        {
            return [];
        }
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string dir in entry.Paths)
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
            foreach (string file in Directory.EnumerateFiles(dir, "*", options))
            {
                string rel = Path.GetRelativePath(dir, file).Replace(Path.DirectorySeparatorChar, '/');
                if (rel.Split('/').Contains(".git"))
                {
                    continue;
                }
                if (entry.Extensions is null || entry.Extensions.Contains(Path.GetExtension(file)))
                {
                    names.Add(rel);
                }
            }
        }
        return names.ToList();
    }

    /// <summary>
    /// The full path of <paramref name="name"/> in the first directory of the folder that has it, or
    /// null. Names that climb out of their directory are never resolved.
    /// </summary>
    public string? Resolve(string folder, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (string dir in PathsOf(folder))
        {
            string? full = SafePath.Contain(dir, name);
            if (full is not null && File.Exists(full))
            {
                return full;
            }
        }
        return null;
    }

    /// <summary>Like <see cref="Resolve"/> but throws the reference's not-found error.</summary>
    public string ResolveOrThrow(string folder, string name) => Resolve(folder, name)
        ?? throw new FileNotFoundException($"Model in folder '{folder}' with filename '{name}' not found.");

    private static string Canonical(string name) => LegacyAliases.TryGetValue(name, out string? c) ? c : name;

    private void Add(string name, IReadOnlySet<string>? extensions, params string[] paths) =>
        _folders.Add((name, paths.Select(Path.GetFullPath).ToList(), extensions));
}
