using System.Security.Cryptography;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Input-file helpers shared by LoadImage and LoadImageMask (FILES.md §4): option lists, annotated
/// name resolution contained under the chosen directory, hashing and decoding into tensors.
/// </summary>
public static class ImageFiles
{
    /// <summary>Extensions whose MIME type is <c>image/*</c> (how the reference filters LoadImage's list).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".apng", ".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".pjp", ".gif", ".bmp", ".dib", ".webp",
        ".tif", ".tiff", ".ico", ".svg", ".avif", ".heic", ".heif", ".jxl", ".jp2", ".pbm", ".pgm", ".ppm",
        ".pnm", ".xbm", ".xpm", ".ras", ".rgb", ".ief", ".mpo",
    };

    /// <summary>The image files directly in the input directory, sorted (LoadImage's options).</summary>
    public static IReadOnlyList<string> ListInputImages(IServiceProvider services) =>
        ListInputFiles(services).Where(f => ImageExtensions.Contains(Path.GetExtension(f))).ToList();

    /// <summary>
    /// Every file directly in the input directory, sorted (LoadImageMask's options). Inside a user scope: the
    /// user's own files and those directly in the shared input folder.
    /// </summary>
    public static IReadOnlyList<string> ListInputFiles(IServiceProvider services) => ListInput(services, "*");

    /// <summary>The names matching <paramref name="pattern"/> directly in the input directory (and, inside a user scope, the shared one), sorted and distinct.</summary>
    public static IReadOnlyList<string> ListInput(IServiceProvider services, string pattern)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(pattern);
        if (services.GetService(typeof(ComfyDirectories)) is not ComfyDirectories directories)
        {
            return [];
        }
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseSensitive };
        var names = new SortedSet<string>(StringComparer.Ordinal);
        string[] folders = ComfyDirectories.Scope is null ? new[] { directories.Input } : new[] { directories.Input, directories.RootInput };
        foreach (string folder in folders)
        {
            if (Directory.Exists(folder))
            {
                names.UnionWith(Directory.EnumerateFiles(folder, pattern, options).Select(Path.GetFileName).OfType<string>());
            }
        }
        return [.. names];
    }

    /// <summary>The constant value of a file input, or null when it is linked (validation and IS_CHANGED).</summary>
    public static string? ConstantName(NodeInputs constants, ComboInput input)
    {
        ArgumentNullException.ThrowIfNull(constants);
        return constants.HasValue(input) ? constants.Get(input) : null;
    }

    /// <summary>The full path of an annotated input name (<c>"x.png [output]"</c>), or null when it escapes its directory or does not exist.</summary>
    public static string? Resolve(IServiceProvider services, string name) => Resolve(services, name, DirectoryKind.Input);

    /// <summary>
    /// The full path of an annotated name whose unannotated form lives in <paramref name="unannotated"/> (input for
    /// LoadImage, output for LoadImageOutput), or null when it escapes its directory or does not exist.
    /// </summary>
    public static string? Resolve(IServiceProvider services, string name, DirectoryKind unannotated)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        if (services.GetService(typeof(ComfyDirectories)) is not ComfyDirectories directories)
        {
            throw new InvalidOperationException("Service ComfyDirectories is not registered.");
        }
        var (file, directory) = directories.ResolveAnnotated(name, unannotated);
        if (file.Length == 0)
        {
            return null;
        }
        string? full = SafePath.Contain(directory, file);
        if (full is not null && directory == directories.Output && !directories.MayReadOutput(full))
        {
            // Inside a user scope only the user's own outputs (output/u_NAME) can be loaded.
            return null;
        }
        if (directory == directories.Input && (full is null || !File.Exists(full)))
        {
            // Inside a user scope, a name the user has not uploaded may be a shared input (an admin's upload).
            full = directories.SharedInputFile(file) ?? full;
        }
        if (full is not null)
        {
            // A preview written moments ago may still be on the background writer.
            DeferredFileWrites.WaitUntilWritten(full);
        }
        return full is not null && File.Exists(full) ? full : null;
    }

    /// <summary>Like <see cref="Resolve(IServiceProvider, string, DirectoryKind)"/> but throws a clear error when the file is missing.</summary>
    public static string ResolveOrThrow(IServiceProvider services, string name, DirectoryKind unannotated = DirectoryKind.Input) =>
        Resolve(services, name, unannotated) ?? throw new FileNotFoundException($"Invalid image file: {name}");

    /// <summary>The validation result of the reference's VALIDATE_INPUTS for a file input.</summary>
    public static ValidationResult Validate(IServiceProvider services, string? name, DirectoryKind unannotated = DirectoryKind.Input) =>
        name is null || Resolve(services, name, unannotated) is not null ? ValidationResult.Ok : ValidationResult.Fail($"Invalid image file: {name}");

    /// <summary>The SHA-256 hex digest of the named file (IS_CHANGED), or null when the input is linked.</summary>
    public static async ValueTask<object?> HashAsync(IServiceProvider services, string? name, DirectoryKind unannotated = DirectoryKind.Input)
    {
        if (name is null)
        {
            return null;
        }
        string path = ResolveOrThrow(services, name, unannotated);
        await using var stream = File.OpenRead(path);
        byte[] digest = await SHA256.HashDataAsync(stream).ConfigureAwait(false);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Reads and decodes a file, turning every decoding failure into a clear message naming the file.</summary>
    public static DecodedImage Decode(string path, string name, IServiceProvider services, bool allFrames)
    {
        long maxPixels = ServerOptions.From(services).MaxImagePixels;
        byte[] data = File.ReadAllBytes(path);
        try
        {
            return ImageDecoder.Decode(data, maxPixels, allFrames);
        }
        catch (ImageFormatException ex)
        {
            throw new ImageFormatException($"Cannot load image '{name}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// LoadImage's frame rules: every frame with the first frame's size becomes one RGB image; its
    /// mask is 1 − alpha when the frame has transparency, else a 64×64 zero mask.
    /// </summary>
    public static (Tensor Images, Tensor Masks) FramesToTensors(DecodedImage decoded)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        using var scope = NewDisposeScope();
        var images = new List<Tensor>();
        var masks = new List<Tensor>();
        int width = decoded.Frames[0].Rgba.Width, height = decoded.Frames[0].Rgba.Height;
        foreach (DecodedFrame frame in decoded.Frames)
        {
            if (frame.Rgba.Width != width || frame.Rgba.Height != height)
            {
                continue;
            }
            images.Add(ImageTensors.FromPixels(frame.Rgba.WithChannels(3)));
            masks.Add(frame.HasAlpha ? InvertedAlpha(frame.Rgba) : zeros([1L, 64, 64], ScalarType.Float32));
        }
        if (masks.Any(m => m.shape[1] != masks[0].shape[1] || m.shape[2] != masks[0].shape[2]))
        {
            // Frames with and without transparency: give the opaque ones an image-sized zero mask so the batch stacks.
            masks = masks.Select(m => m.shape[1] == height && m.shape[2] == width ? m : zeros([1L, height, width], ScalarType.Float32)).ToList();
        }
        Tensor imageBatch = images.Count == 1 ? images[0] : cat(images, 0);
        Tensor maskBatch = masks.Count == 1 ? masks[0] : cat(masks, 0);
        return (imageBatch.MoveToOuterDisposeScope(), maskBatch.MoveToOuterDisposeScope());
    }

    /// <summary>1 − alpha/255 as a [1, H, W] mask.</summary>
    public static Tensor InvertedAlpha(PixelBuffer rgba)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        return ChannelMask(rgba, 3, invert: true);
    }

    /// <summary>One channel / 255 as a [1, H, W] mask, optionally inverted (1 − value).</summary>
    public static Tensor ChannelMask(PixelBuffer pixels, int channel, bool invert)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        int count = pixels.Width * pixels.Height;
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            float v = pixels.Pixels[(i * pixels.Channels) + channel] / 255f;
            values[i] = invert ? 1f - v : v;
        }
        return tensor(values, [1L, pixels.Height, pixels.Width]);
    }
}
