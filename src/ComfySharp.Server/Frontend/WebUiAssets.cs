using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ComfySharp.Server.Frontend;

/// <summary>One file of the built-in web UI: its bytes, a gzip copy and an ETag.</summary>
internal sealed class WebUiAsset
{
    public WebUiAsset(byte[] content, string contentType)
    {
        Content = content;
        ContentType = contentType;
        ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(content);
        }
        Gzipped = buffer.ToArray();
    }

    public byte[] Content { get; }

    public byte[] Gzipped { get; }

    public string ContentType { get; }

    public string ETag { get; }
}

/// <summary>
/// The web UI bundle embedded by the build (src/ComfySharp.WebUI → obj/webui). index.html names its assets
/// relative to the page: "comfysharp/app.js" when served at <c>/</c>, "app.js" when served at <c>/comfysharp/</c>.
/// </summary>
internal static class WebUiAssets
{
    /// <summary>The folder the UI is always reachable under, also when <c>--front-end-root</c> serves another UI at <c>/</c>.</summary>
    public const string Folder = "comfysharp";

    private static readonly Lazy<IReadOnlyDictionary<string, WebUiAsset>> Files = new(Load);

    /// <summary>index.html for the root page.</summary>
    public static WebUiAsset RootIndex => Files.Value["/index.html"];

    /// <summary>index.html for <c>/comfysharp/</c>.</summary>
    public static WebUiAsset FolderIndex => Files.Value["/comfysharp/index.html"];

    /// <summary>A bundle file by name (<c>app.js</c>, <c>app.css</c>), or null.</summary>
    public static WebUiAsset? Find(string name) => Files.Value.GetValueOrDefault("/" + name);

    private static Dictionary<string, WebUiAsset> Load()
    {
        var files = new Dictionary<string, WebUiAsset>(StringComparer.Ordinal);
        string index = Encoding.UTF8.GetString(Read("index.html"));
        files["/index.html"] = new WebUiAsset(Encoding.UTF8.GetBytes(index.Replace("{{ASSETS}}", Folder + "/", StringComparison.Ordinal)), "text/html; charset=utf-8");
        files["/comfysharp/index.html"] = new WebUiAsset(Encoding.UTF8.GetBytes(index.Replace("{{ASSETS}}", "", StringComparison.Ordinal)), "text/html; charset=utf-8");
        files["/app.js"] = new WebUiAsset(Read("app.js"), "text/javascript; charset=utf-8");
        files["/app.css"] = new WebUiAsset(Read("app.css"), "text/css; charset=utf-8");
        return files;
    }

    private static byte[] Read(string name)
    {
        using Stream stream = typeof(WebUiAssets).Assembly.GetManifestResourceStream("ComfySharp.Server.WebUI." + name)
            ?? throw new InvalidOperationException($"The web UI file {name} is missing from the assembly (the build bundles src/ComfySharp.WebUI with npm).");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}
