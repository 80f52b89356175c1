using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

// ComfyClient: /view downloads and /upload.
public sealed partial class ComfyClient
{
    // ---------------------------------------------------------------- files

    /// <summary><c>GET /view</c>: the bytes of an output/input/temp file.</summary>
    /// <param name="file">The file.</param>
    /// <param name="preview">Optional <c>format[;quality]</c> re-encode (e.g. <c>webp;80</c>).</param>
    /// <param name="channel">Optional channel (<c>rgb</c>, <c>a</c>).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<byte[]> ViewAsync(ImageRef file, string? preview = null, string? channel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        string path = $"view?filename={Uri.EscapeDataString(file.Filename)}&subfolder={Uri.EscapeDataString(file.Subfolder)}&type={Uri.EscapeDataString(file.Type)}";
        if (preview is not null)
        {
            path += "&preview=" + Uri.EscapeDataString(preview);
        }
        if (channel is not null)
        {
            path += "&channel=" + Uri.EscapeDataString(channel);
        }
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            EnsureSuccess(response, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads a file into <paramref name="directory"/> (keeping its subfolder) and returns the local path.</summary>
    public async Task<string> DownloadAsync(ImageRef file, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(directory);
        byte[] bytes = await ViewAsync(file, cancellationToken: cancellationToken).ConfigureAwait(false);
        string root = Path.GetFullPath(directory);
        // The server names the file; keep only safe components so a hostile reply cannot write outside the directory.
        string name = Path.GetFileName(file.Filename);
        string sub = string.Join(Path.DirectorySeparatorChar, file.Subfolder.Split('/', '\\').Where(s => s.Length > 0 && s != "." && s != ".."));
        string target = Path.GetFullPath(Path.Combine(root, sub, name));
        if (name.Length == 0 || !target.StartsWith(root, StringComparison.Ordinal))
        {
            throw new ComfyClientException($"Refusing to save '{file.Filename}' outside '{root}'.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target, bytes, cancellationToken).ConfigureAwait(false);
        return target;
    }

    /// <summary><c>GET /view_metadata/{folder}?filename=</c>: a safetensors header's <c>__metadata__</c>; null when absent (404).</summary>
    public async Task<JsonObject?> GetViewMetadataAsync(string folder, string filename, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(filename);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"view_metadata/{Uri.EscapeDataString(folder)}?filename={Uri.EscapeDataString(filename)}", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return TryParseObject(text);
    }

    /// <summary><c>POST /upload/image</c>. The reply names the stored file (may be renamed <c>name (1).png</c>).</summary>
    public Task<ImageRef> UploadImageAsync(Stream content, string filename, string? subfolder = null, string type = "input", bool overwrite = false, CancellationToken cancellationToken = default) =>
        UploadAsync("upload/image", content, filename, subfolder, type, overwrite, null, cancellationToken);

    /// <summary>Uploads a local file with <c>POST /upload/image</c>.</summary>
    public async Task<ImageRef> UploadImageFileAsync(string path, string? subfolder = null, string type = "input", bool overwrite = false, CancellationToken cancellationToken = default)
    {
        FileStream stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            return await UploadImageAsync(stream, Path.GetFileName(path), subfolder, type, overwrite, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /upload/mask</c>: the alpha of <paramref name="content"/> applied to <paramref name="original"/>.</summary>
    public Task<ImageRef> UploadMaskAsync(Stream content, string filename, ImageRef original, string? subfolder = null, string type = "input", bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        var originalRef = new JsonObject { ["filename"] = original.Filename, ["type"] = original.Type, ["subfolder"] = original.Subfolder };
        return UploadAsync("upload/mask", content, filename, subfolder, type, overwrite, originalRef.ToJsonString(), cancellationToken);
    }

    private async Task<ImageRef> UploadAsync(string route, Stream content, string filename, string? subfolder, string type, bool overwrite, string? originalRef, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(filename);
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(filename.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "application/octet-stream");
        form.Add(file, "image", filename);
        form.Add(new StringContent(type), "type");
        form.Add(new StringContent(subfolder ?? ""), "subfolder");
        if (overwrite)
        {
            form.Add(new StringContent("true"), "overwrite");
        }
        if (originalRef is not null)
        {
            form.Add(new StringContent(originalRef), "original_ref");
        }
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, route, form, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return ImageRef.FromJson(TryParseObject(text) ?? throw new ComfyClientException($"POST /{route} did not return a JSON object.", response.StatusCode, text));
    }
}
