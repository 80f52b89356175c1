using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions.Files;
using ComfySharp.Protocol;
using ComfySharp.Server.Files;
using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;
using SkiaSharp;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/view</c>, <c>/view_metadata</c>, <c>/upload/image</c>, <c>/upload/mask</c> (API.md §8, §9).</summary>
internal static class FileEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private static readonly string[] Annotations = [" [output]", " [input]", " [temp]"];
    private static readonly string[] RenderableTypes = ["text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css"];

    public static void MapFileEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/view", View);
        app.GetBoth("/view_metadata/{folder_name}", ViewMetadata);
        app.PostBoth("/upload/image", (HttpRequest request, ComfyDirectories dirs) => UploadAsync(request, dirs, mask: false));
        app.PostBoth("/upload/mask", (HttpRequest request, ComfyDirectories dirs) => UploadAsync(request, dirs, mask: true));
    }

    /// <summary>Splits a trailing <c> [output]</c>-style annotation off a name.</summary>
    internal static (string Name, string? Type) SplitAnnotation(string name)
    {
        foreach (string suffix in Annotations)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return (name[..^suffix.Length], suffix[2..^1]);
            }
        }
        return (name, null);
    }

    private static IResult View(HttpRequest request, HttpResponse response, ComfyDirectories dirs)
    {
        if (!request.Query.TryGetValue("filename", out var filenameValues))
        {
            return ComfyResults.Empty(404);
        }
        var (filename, annotatedType) = SplitAnnotation(filenameValues.ToString());
        if (filename.Length == 0 || filename.StartsWith('/') || filename.Contains("..", StringComparison.Ordinal) || !SafePath.IsUsableName(filename))
        {
            return ComfyResults.Empty(400);
        }
        string type = annotatedType ?? (request.Query.TryGetValue("type", out var t) ? t.ToString() : "output");
        string? root = dirs.ForType(type);
        if (root is null)
        {
            return ComfyResults.Empty(400);
        }
        string directory = root;
        if (request.Query.TryGetValue("subfolder", out var subfolder))
        {
            string? contained = SafePath.Contain(root, subfolder.ToString());
            if (contained is null)
            {
                return ComfyResults.Empty(403);
            }
            directory = contained;
        }
        string name = filename[(filename.LastIndexOf('/') + 1)..];
        string? file = name.Length == 0 ? null : SafePath.Contain(root, Path.GetRelativePath(root, Path.Combine(directory, name)));
        if (file is null)
        {
            return name.Length == 0 ? ComfyResults.Empty(404) : ComfyResults.Empty(403);
        }
        if (type == "output" && !dirs.MayReadOutput(file))
        {
            // With --auth a user reads only their own outputs (output/u_NAME); another user's look missing.
            return ComfyResults.Empty(404);
        }
        // A preview written moments ago may still be on the background writer.
        DeferredFileWrites.WaitUntilWritten(file);
        if (!File.Exists(file) && type == "input" && dirs.SharedInputFile(Path.GetRelativePath(root, file)) is { } shared)
        {
            file = shared;
        }
        if (!File.Exists(file))
        {
            return ComfyResults.Empty(404);
        }
        response.Headers.ContentDisposition = $"filename=\"{name}\"";
        string channel = request.Query.TryGetValue("channel", out var c) ? c.ToString() : "rgba";
        if (request.Query.TryGetValue("preview", out var previewValue))
        {
            // The reference reads the channel for previews with an empty default, so only an explicit "a" forces WebP.
            return Preview(file, previewValue.ToString(), request.Query.TryGetValue("channel", out var raw) ? raw.ToString() : "");
        }
        if (channel is "rgb" or "a")
        {
            using SKBitmap? bitmap = ImageTools.Decode(file);
            if (bitmap is null)
            {
                throw new InvalidDataException("Not an image.");
            }
            using SKBitmap converted = channel == "rgb" ? ImageTools.DropAlpha(bitmap) : ImageTools.AlphaOnly(bitmap, ImageTools.HasAlpha(file));
            return ComfyResults.Bytes(ImageTools.Encode(converted, SKEncodedImageFormat.Png, 100), "image/png");
        }
        var info = new FileInfo(file);
        string etag = $"\"{(info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100:x}-{info.Length:x}\"";
        return Results.File(file, ContentTypeFor(file), fileDownloadName: null,
            lastModified: new DateTimeOffset(info.LastWriteTimeUtc), entityTag: new EntityTagHeaderValue(etag), enableRangeProcessing: true);
    }

    private static IResult Preview(string file, string preview, string channel)
    {
        string[] parts = preview.Split(';');
        string format = parts[0];
        if (format is not ("webp" or "jpeg") || channel.Contains('a', StringComparison.Ordinal))
        {
            format = "webp";
        }
        string last = parts[^1];
        int quality = last.Length > 0 && last.All(char.IsAsciiDigit) && int.TryParse(last, out int q) ? q : 90;
        using SKBitmap? bitmap = ImageTools.Decode(file);
        if (bitmap is null)
        {
            throw new InvalidDataException("Not an image.");
        }
        using SKBitmap source = format == "jpeg" || channel == "rgb" ? ImageTools.DropAlpha(bitmap) : bitmap.Copy();
        byte[] data = ImageTools.Encode(source, format == "jpeg" ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Webp, Math.Clamp(quality, 0, 100));
        return ComfyResults.Bytes(data, "image/" + format);
    }

    internal static string ContentTypeFor(string file)
    {
        if (file.EndsWith(".js", StringComparison.OrdinalIgnoreCase))
        {
            return "application/javascript; charset=utf-8";
        }
        if (!ContentTypes.TryGetContentType(file, out string? type))
        {
            return "application/octet-stream";
        }
        return RenderableTypes.Contains(type) ? "application/octet-stream" : type;
    }

    private static IResult ViewMetadata(string folder_name, HttpRequest request, ModelFolders folders)
    {
        string? filename = request.Query["filename"];
        if (filename is null || !filename.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            return ComfyResults.Empty(404);
        }
        if (!folders.Contains(folder_name) && folder_name is not ("clip" or "unet"))
        {
            return ComfyResults.Empty(404);
        }
        string? path = SafePath.IsUsableName(filename) ? folders.Resolve(folder_name, filename) : null;
        if (path is null || !File.Exists(path))
        {
            return ComfyResults.Empty(404);
        }
        using FileStream stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
        {
            return ComfyResults.Empty(404);
        }
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (length > 1024 * 1024)
        {
            return ComfyResults.Empty(404);
        }
        byte[] header = new byte[length];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            return ComfyResults.Empty(404);
        }
        return PythonJson.ParseStored(header) is JsonObject json && json["__metadata__"] is JsonObject metadata
            ? ComfyResults.Json(metadata.DeepClone())
            : ComfyResults.Empty(404);
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, ComfyDirectories dirs, bool mask)
    {
        if (!request.HasFormContentType)
        {
            return ComfyResults.Empty(400);
        }
        IFormCollection form = await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        IFormFile? image = form.Files["image"];
        if (image is null)
        {
            return ComfyResults.Empty(400);
        }
        bool overwrite = form["overwrite"].ToString() is "true" or "1";
        string type = form.TryGetValue("type", out var typeValue) ? typeValue.ToString() : "input";
        string subfolder = form.TryGetValue("subfolder", out var sub) ? sub.ToString() : "";
        if (type == "output" && ComfyDirectories.Scope is { } scope)
        {
            // With --auth a user's uploads to output/ go under their folder (output/u_NAME), like their saved images.
            string relative = subfolder.Replace('\\', '/').Trim('/');
            if (relative != scope && !relative.StartsWith(scope + "/", StringComparison.Ordinal))
            {
                subfolder = relative.Length == 0 ? scope : scope + "/" + relative;
            }
        }
        string? root = dirs.ForType(type);
        string filename = image.FileName;
        if (root is null || string.IsNullOrEmpty(filename))
        {
            return ComfyResults.Empty(400);
        }
        byte[] bytes;
        using (var ms = new MemoryStream())
        {
            await image.CopyToAsync(ms, request.HttpContext.RequestAborted).ConfigureAwait(false);
            bytes = ms.ToArray();
        }
        string? folder = SafePath.IsUsableName(filename) ? SafePath.Contain(root, subfolder) : null;
        string? target = folder is null ? null : SafePath.Contain(root, Path.GetRelativePath(root, Path.Combine(folder, filename)));
        if (folder is null || target is null || (type == "output" && !dirs.MayReadOutput(target)))
        {
            return ComfyResults.Empty(400);
        }
        bool duplicate = false;
        if (!overwrite)
        {
            (string stem, string ext) = SplitExtension(filename);
            byte[] hash = SHA256.HashData(bytes);
            for (int i = 1; File.Exists(target); i++)
            {
                if (SHA256.HashData(await File.ReadAllBytesAsync(target).ConfigureAwait(false)).AsSpan().SequenceEqual(hash))
                {
                    duplicate = true;
                    break;
                }
                filename = $"{stem} ({i}){ext}";
                target = Path.Combine(folder, filename);
            }
        }
        if (!duplicate)
        {
            byte[]? content = mask ? MergeMask(form, dirs, bytes) : bytes;
            if (Directory.Exists(target) || !SafePath.IsUsableName(target))
            {
                return ComfyResults.Empty(400);
            }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (content is not null)
                {
                    await File.WriteAllBytesAsync(target, content).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A subfolder that is a file, a name the file system refuses: the upload's path is unusable.
                return ComfyResults.Empty(400);
            }
        }
        return ComfyResults.Json(JsonSerializer.SerializeToNode(new UploadResult(filename, subfolder, type), ProtocolJsonContext.Default.UploadResult));
    }

    // The mask editor's upload: the original image (found through original_ref) with the mask's alpha.
    private static byte[]? MergeMask(IFormCollection form, ComfyDirectories dirs, byte[] maskBytes)
    {
        string refText = form.TryGetValue("original_ref", out var r) ? r.ToString() : throw new BadRequestBodyException("original_ref is required.");
        JsonNode? parsed;
        try
        {
            parsed = RequestLimits.Parse(System.Text.Encoding.UTF8.GetBytes(refText));
        }
        catch (JsonException ex)
        {
            throw new BadRequestBodyException("original_ref must be JSON.", ex);
        }
        if (parsed is not JsonObject original)
        {
            throw new BadRequestBodyException("original_ref must be an object.");
        }
        var (name, annotated) = SplitAnnotation(StringMember(original, "filename") ?? "");
        string type = annotated ?? StringMember(original, "type") ?? "output";
        string? root = dirs.ForType(type);
        if (root is null || name.Length == 0 || name.StartsWith('/') || name.Contains("..", StringComparison.Ordinal) || !SafePath.IsUsableName(name))
        {
            return null;
        }
        string? folder = SafePath.Contain(root, StringMember(original, "subfolder") ?? "");
        string? path = folder is null ? null : SafePath.Contain(root, Path.GetRelativePath(root, Path.Combine(folder, name)));
        if (path is not null && !File.Exists(path) && type == "input")
        {
            path = dirs.SharedInputFile(Path.GetRelativePath(root, path)) ?? path;
        }
        if (path is null || !File.Exists(path) || (type == "output" && !dirs.MayReadOutput(path)))
        {
            return null;
        }
        byte[] originalBytes = File.ReadAllBytes(path);
        using SKBitmap? originalBitmap = ImageTools.Decode(path);
        using SKBitmap? maskBitmap = DecodeUnpremul(maskBytes);
        if (originalBitmap is null || maskBitmap is null)
        {
            return null;
        }
        using SKBitmap merged = ImageTools.MergeAlpha(originalBitmap, maskBitmap);
        byte[] png = ImageTools.Encode(merged, SKEncodedImageFormat.Png, 100);
        return ImageTools.AddPngText(png, ImageTools.ReadPngText(originalBytes));
    }

    private static string? StringMember(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static SKBitmap? DecodeUnpremul(byte[] bytes)
    {
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        if (codec is null)
        {
            return null;
        }
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        codec.GetPixels(info, bitmap.GetPixels());
        return bitmap;
    }

    /// <summary>Python's <c>os.path.splitext</c>: the extension starts at the last dot unless the name starts with it.</summary>
    internal static (string Stem, string Extension) SplitExtension(string filename)
    {
        int slash = filename.LastIndexOf('/');
        int dot = filename.LastIndexOf('.');
        int nameStart = slash + 1;
        while (nameStart < filename.Length && filename[nameStart] == '.')
        {
            nameStart++;
        }
        return dot >= nameStart && dot > slash ? (filename[..dot], filename[dot..]) : (filename, "");
    }
}
