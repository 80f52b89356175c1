using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Protocol;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Where a batch of images is written: the folder, the file-name stem, the first counter value and the subfolder reported to the UI.</summary>
/// <param name="Folder">Full path of the folder (created if missing).</param>
/// <param name="FileName">The last component of the prefix (may contain <c>%batch_num%</c>).</param>
/// <param name="Counter">The first counter value to use.</param>
/// <param name="Subfolder">The prefix's directory part, OS separators, <c>""</c> when none.</param>
public sealed record SaveTarget(string Folder, string FileName, long Counter, string Subfolder);

/// <summary>
/// SaveImage/PreviewImage file conventions (FILES.md §3): prefix substitutions, subfolders contained
/// under the output directory, the counter scan, 8-bit PNGs with <c>prompt</c> and
/// <c>extra_pnginfo</c> text chunks unless metadata is disabled.
/// </summary>
public static class ImageSaver
{
    /// <summary>The error text the reference raises when the prefix climbs out of the output directory.</summary>
    public const string OutsideOutputError = "Saving image outside the output folder is not allowed.";

    // The 8-bit pixels of the last image this thread saved, reused when the next has the same size (a
    // batch, or a workflow run again): only the encoder reads them, within one Save call. Kept only up to
    // this size (512 × 512 RGB fits), so a thread holds at most that much between saves.
    private const int MaxReusedPixelBytes = 1 << 20;

    [ThreadStatic]
    private static PixelBuffer? t_pixels;

    /// <summary>Replaces <c>%width%</c>, <c>%height%</c>, <c>%year%</c>, <c>%month%</c>, <c>%day%</c>, <c>%hour%</c>, <c>%minute%</c>, <c>%second%</c>; other tokens stay.</summary>
    public static string SubstituteVariables(string prefix, long width, long height, DateTime localNow)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.Contains('%', StringComparison.Ordinal))
        {
            return prefix;
        }
        return prefix
            .Replace("%width%", width.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%height%", height.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%year%", localNow.Year.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%month%", localNow.Month.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%day%", localNow.Day.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%hour%", localNow.Hour.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%minute%", localNow.Minute.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%second%", localNow.Second.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>Python's <c>os.path.normpath</c> on POSIX paths (pure string work: <c>.</c>, <c>..</c>, doubled separators).</summary>
    public static string NormalisePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return ".";
        }
        bool absolute = path.StartsWith('/');
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part != ".." || (!absolute && parts.Count == 0) || (parts.Count > 0 && parts[^1] == ".."))
            {
                parts.Add(part);
            }
            else if (parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
            }
        }
        string joined = string.Join('/', parts);
        return absolute ? "/" + joined : (joined.Length == 0 ? "." : joined);
    }

    /// <summary>Resolves the folder, file name and first counter for a prefix (steps 2–4 of FILES.md §3).</summary>
    public static SaveTarget Resolve(string prefix, string outputDirectory, long width, long height, DateTime localNow)
    {
        ArgumentNullException.ThrowIfNull(outputDirectory);
        string substituted = SubstituteVariables(prefix, width, height, localNow);
        string normalised = NormalisePath(substituted);
        int slash = normalised.LastIndexOf('/');
        string subfolder = slash < 0 ? "" : normalised[..slash];
        string fileName = slash < 0 ? normalised : normalised[(slash + 1)..];
        if (normalised.StartsWith('/') && subfolder.Length == 0)
        {
            subfolder = "/";
        }
        string root = Path.GetFullPath(outputDirectory);
        string folder = SafePath.Contain(root, subfolder)
            ?? throw new InvalidOperationException(
                $"{OutsideOutputError} full_output_folder: {Path.GetFullPath(Path.Combine(root, subfolder))} output_dir: {root}");
        long counter = 1;
        if (RememberedCounter(folder, fileName) is long remembered)
        {
            counter = remembered;
        }
        else if (Directory.Exists(folder))
        {
            long? highest = null;
            // Previews held in memory (DeferredFileWrites) have names in this folder too.
            foreach (string name in Directory.EnumerateFileSystemEntries(folder).Select(entry => Path.GetFileName(entry.AsSpan()).ToString()).Concat(DeferredFileWrites.HeldNames(folder)))
            {
                if (name.Length > fileName.Length && name.StartsWith(fileName, StringComparison.Ordinal) && name[fileName.Length] == '_')
                {
                    long number = ParseCounter(name[(fileName.Length + 1)..]);
                    highest = highest is null ? number : Math.Max(highest.Value, number);
                }
            }
            counter = highest is null ? 1 : highest.Value + 1;
        }
        else
        {
            Directory.CreateDirectory(folder);
        }
        return new SaveTarget(folder, fileName, counter, subfolder.Replace('/', Path.DirectorySeparatorChar));
    }

    // The next counter per (folder, file name) with the folder's modification time right after our
    // last write: while the folder is unchanged since, the scan would find exactly that number, and
    // scanning a temp folder of thousands of previews on every prompt cost milliseconds.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Folder, string FileName), (long Next, DateTime FolderTime)> NextCounters = new();

    private static long? RememberedCounter(string folder, string fileName)
    {
        if (!NextCounters.TryGetValue((folder, fileName), out var remembered))
        {
            return null;
        }
        try
        {
            // DateTime.MaxValue marks a folder whose files only this process names (previews).
            return remembered.FolderTime == DateTime.MaxValue || Directory.GetLastWriteTimeUtc(folder) == remembered.FolderTime
                ? remembered.Next
                : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records that the files of <paramref name="target"/> up to <paramref name="nextCounter"/> − 1 were
    /// written, so the next <see cref="Resolve"/> of the same name skips the folder scan while the folder is unchanged.
    /// </summary>
    /// <param name="target">What was resolved.</param>
    /// <param name="nextCounter">The counter after the last file written.</param>
    /// <param name="ownedFolder">
    /// True when only this process writes files of this name (preview names carry a random suffix and the
    /// temp folder is emptied at start): the counter is then trusted without checking the folder, which
    /// background writes keep changing.
    /// </param>
    public static void Remember(SaveTarget target, long nextCounter, bool ownedFolder = false)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            NextCounters[(target.Folder, target.FileName)] = (nextCounter, ownedFolder ? DateTime.MaxValue : Directory.GetLastWriteTimeUtc(target.Folder));
        }
        catch (IOException)
        {
            NextCounters.TryRemove((target.Folder, target.FileName), out _);
        }
        catch (UnauthorizedAccessException)
        {
            NextCounters.TryRemove((target.Folder, target.FileName), out _);
        }
    }

    /// <summary>The number before the next underscore, 0 when that text is not an integer.</summary>
    public static long ParseCounter(string rest)
    {
        ArgumentNullException.ThrowIfNull(rest);
        int underscore = rest.IndexOf('_', StringComparison.Ordinal);
        string text = underscore < 0 ? rest : rest[..underscore];
        return long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long value)
            ? value
            : 0;
    }

    /// <summary>The text chunks to write: <c>prompt</c>, then each <c>extra_pnginfo</c> key in order; none when metadata is disabled.</summary>
    public static IReadOnlyList<PngTextEntry> Metadata(NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ServerOptions.From(context.Services).DisableMetadata)
        {
            return [];
        }
        var entries = new List<PngTextEntry>();
        JsonObject? prompt = context.Prompt;
        if (prompt is not null)
        {
            entries.Add(new PngTextEntry("prompt", PythonJson.Serialize(prompt)));
        }
        if (context.ExtraPngInfo is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                entries.Add(new PngTextEntry(key, PythonJson.Serialize(value)));
            }
        }
        return entries;
    }

    /// <summary>Writes every image of the batch and returns the UI result <c>{"images": [...]}</c>.</summary>
    /// <param name="images">The IMAGE batch.</param>
    /// <param name="prefix">The file name prefix (may contain a subfolder and %variables%).</param>
    /// <param name="outputDirectory">The root folder.</param>
    /// <param name="type">The <c>type</c> of the ui entries.</param>
    /// <param name="compressionLevel">zlib level.</param>
    /// <param name="context">The node context (metadata, interrupt).</param>
    /// <param name="deferWrite">
    /// Write the files on the background writer (<see cref="DeferredFileWrites"/>) and trust the
    /// remembered counter: for previews, whose names only this process uses.
    /// </param>
    public static JsonObject Save(Tensor images, string prefix, string outputDirectory, string type, int compressionLevel, NodeContext context, bool deferWrite = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(context);
        ImageTensors.RequireImage(images, "images");
        if (images.shape[0] == 0)
        {
            return new JsonObject { ["images"] = new JsonArray() };
        }
        SaveTarget target = Resolve(prefix, outputDirectory, images.shape[2], images.shape[1], DateTime.Now);
        IReadOnlyList<PngTextEntry> metadata = Metadata(context);
        var results = new JsonArray();
        long counter = target.Counter;
        for (long i = 0; i < images.shape[0]; i++)
        {
            context.ThrowIfInterrupted();
            PixelBuffer pixels;
            using (var image = images[i])
            {
                pixels = ImageTensors.ToPixels(image, t_pixels);
            }
            if (pixels.Pixels.Length <= MaxReusedPixelBytes)
            {
                t_pixels = pixels;
            }
            string stem = target.FileName.Replace("%batch_num%", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            string file = $"{stem}_{counter.ToString("00000", CultureInfo.InvariantCulture)}_.png";
            byte[] png = PngFile.Encode(pixels, compressionLevel, metadata);
            if (deferWrite)
            {
                DeferredFileWrites.Write(Path.Combine(target.Folder, file), png);
            }
            else
            {
                File.WriteAllBytes(Path.Combine(target.Folder, file), png);
            }
            results.Add(new JsonObject { ["filename"] = file, ["subfolder"] = target.Subfolder, ["type"] = type });
            counter++;
        }
        Remember(target, counter, ownedFolder: deferWrite);
        return new JsonObject { ["images"] = results };
    }
}
