using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;

namespace ComfySharp.Nodes.Loaders;

/// <summary>
/// What the loader nodes share: file lists for their combos, name resolution with the reference's
/// not-found error, and loading through the <see cref="ModelManager"/> so every prompt shares one copy.
/// </summary>
internal static class LoaderServices
{
    public const string CheckpointVariant = "checkpoint";
    public const string VaeVariant = "vae";
    public const string UNetVariant = "unet";

    /// <summary>Tiny autoencoders offered by VAELoader when both halves are in <c>vae_approx</c>.</summary>
    public static readonly IReadOnlyList<string> TinyAutoencoders = ["taesd", "taesdxl", "taesd3", "taef1"];

    /// <summary>The identity VAE of pixel-space models, always offered last.</summary>
    public const string PixelSpace = "pixel_space";

    public static IReadOnlyList<string> List(IServiceProvider services, string folder) =>
        services.GetService(typeof(ModelFolders)) is ModelFolders folders ? folders.List(folder) : [];

    public static IReadOnlyList<string> VaeOptions(IServiceProvider services)
    {
        var options = new List<string>(List(services, "vae"));
        var approx = List(services, "vae_approx");
        foreach (string name in TinyAutoencoders)
        {
            bool encoder = approx.Any(f => f.StartsWith(name + "_encoder.", StringComparison.Ordinal));
            bool decoder = approx.Any(f => f.StartsWith(name + "_decoder.", StringComparison.Ordinal));
            if (encoder && decoder)
            {
                options.Add(name);
            }
        }
        options.Add(PixelSpace);
        return options;
    }

    public static string Resolve(IServiceProvider services, string folder, string name)
    {
        var folders = services.GetService(typeof(ModelFolders)) as ModelFolders
            ?? throw new InvalidOperationException("Service ModelFolders is not registered.");
        string path = folders.ResolveOrThrow(folder, name);
        ModelFileFormat.EnsureSafeTensors(path);
        return path;
    }

    public static LoadedCheckpoint LoadCheckpoint(IServiceProvider services, string path) =>
        LoadShared(services, path, CheckpointVariant, CheckpointLoading.LoadCheckpoint);

    public static VaeModel LoadVae(IServiceProvider services, string path) =>
        LoadShared(services, path, VaeVariant, CheckpointLoading.LoadVaeFile);

    public static UNetModel LoadUNet(IServiceProvider services, string path) =>
        LoadShared(services, path, UNetVariant, CheckpointLoading.LoadDiffusionModel);

    /// <summary>
    /// Loads <paramref name="path"/> once per (file, variant) through the <see cref="ModelManager"/> so every prompt
    /// shares one copy under the server's compute options; without a manager (bare tests) it loads a private copy.
    /// </summary>
    public static T LoadShared<T>(IServiceProvider services, string path, string variant, Func<string, ComputeOptions, T> load) where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        var manager = Manager(services);
        return manager is null ? load(path, new ComputeOptions()) : manager.GetOrLoad(path, variant, p => load(p, manager.Options));
    }

    /// <summary>The server's compute options (defaults without a model manager).</summary>
    public static ComputeOptions Compute(IServiceProvider services) => Manager(services)?.Options ?? new ComputeOptions();

    /// <summary>The checkpoint's shared text encoder, resolving <c>embedding:</c> names from the embeddings folder.</summary>
    public static ClipModel? ClipFor(IServiceProvider services, LoadedCheckpoint checkpoint) =>
        checkpoint.Clip is { } clip && services.GetService(typeof(ModelFolders)) is ModelFolders folders
            ? clip.WithEmbeddings(new FolderTextualInversionSource(folders))
            : checkpoint.Clip;

    private static ModelManager? Manager(IServiceProvider services) => services.GetService(typeof(ModelManager)) as ModelManager;
}
