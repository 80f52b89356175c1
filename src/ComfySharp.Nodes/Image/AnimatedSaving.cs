using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>What SaveAnimatedPNG and SaveAnimatedWEBP share: the frames, the file name, the delay and the UI result.</summary>
public static class AnimatedSaving
{
    /// <summary>The reference writes one animated file per batch; this many frames is far beyond any real animation.</summary>
    public const int MaxFrames = 10_000;

    /// <summary>The frame delay in whole milliseconds, truncated like the reference (<c>int(1000 / fps)</c>).</summary>
    public static int DelayMilliseconds(double fps)
    {
        if (!(fps > 0) || double.IsInfinity(fps))
        {
            throw new ArgumentException($"fps must be a positive number, not {fps.ToString(CultureInfo.InvariantCulture)}.");
        }
        return (int)Math.Min(int.MaxValue, 1000.0 / fps);
    }

    /// <summary>Every image of the batch as 8-bit pixels; a clear error for an empty or absurdly long batch.</summary>
    public static IReadOnlyList<PixelBuffer> Frames(Tensor images, string node)
    {
        ArgumentNullException.ThrowIfNull(images);
        ImageTensors.RequireImage(images, "images");
        long count = images.shape[0];
        if (count == 0)
        {
            throw new ArgumentException($"{node}: the image batch is empty; there are no frames to save.");
        }
        if (count > MaxFrames)
        {
            throw new ArgumentException($"{node}: {count} frames are more than the {MaxFrames} one animation may hold.");
        }
        var frames = new List<PixelBuffer>((int)count);
        for (long i = 0; i < count; i++)
        {
            using var image = images[i];
            frames.Add(ImageTensors.ToPixels(image));
        }
        return frames;
    }

    /// <summary>The target of the single file, named <c>prefix_NNNNN_.ext</c> in the output directory.</summary>
    public static (string Path, JsonObject Entry, SaveTarget Target) Target(Tensor images, string prefix, string extension, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(context);
        var directories = context.GetService<ComfyDirectories>();
        SaveTarget target = ImageSaver.Resolve(prefix, directories.Output, images.shape[2], images.shape[1], DateTime.Now);
        string file = $"{target.FileName}_{target.Counter.ToString("00000", CultureInfo.InvariantCulture)}_.{extension}";
        var entry = new JsonObject { ["filename"] = file, ["subfolder"] = target.Subfolder, ["type"] = "output" };
        return (System.IO.Path.Combine(target.Folder, file), entry, target);
    }

    /// <summary>The UI result: the one file, and whether it holds more than one frame.</summary>
    public static JsonObject Ui(JsonObject entry, int frameCount) => new()
    {
        ["images"] = new JsonArray(entry),
        ["animated"] = new JsonArray(frameCount > 1),
    };
}
