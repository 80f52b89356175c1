using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// The path-traversal fuzzer of issue 22 over every file route: <c>/view</c>, <c>/view_metadata</c>,
/// <c>/upload/image</c>, <c>/upload/mask</c> (with <c>original_ref</c>), <c>/userdata</c> (get, post,
/// move, delete, listings) and <c>/v2/userdata</c>. Hostile names (traversal, absolute paths, encoded
/// dots, NUL, 255+ byte names, long paths, lone surrogates) and symbolic links that point outside the
/// roots. Pass: no 5xx, no byte of the secret outside the roots ever served, nothing written or
/// removed outside the roots, and the server still runs a valid prompt. Seeded and reproducible.
/// </summary>
public sealed class PathFuzzTests
{
    private const string Secret = "TOP-SECRET-7d1f";
    private const string SecretName = "secret-7d1f.png";

    private static readonly string[] Hostile =
    [
        "../" + SecretName, "../../" + SecretName, "../../../outside/" + SecretName, "/etc/passwd", "..", ".", "",
        "..%2F" + SecretName, "%2e%2e/" + SecretName, "%2e%2e%2f" + SecretName, "....//" + SecretName, "..\\" + SecretName,
        "sub/../../" + SecretName, "a\0b.png", "a%00b.png", new string('n', 256) + ".png", new string('n', 300),
        string.Concat(Enumerable.Repeat(new string('d', 200) + "/", 30)) + "x.png", "\ud800.png", "%ED%A0%80.png", "%F0%9F.png",
        "link/" + SecretName, "link", "link/../link/" + SecretName, "filelink.png", "x [output]", "../x [input]", "%", "%%",
        "\u00e9t\u00e9.png", "CON", "a:b", "~", "~/x", "*", "?", "x.png/",
    ];

    [Fact]
    public async Task Hostile_names_over_every_file_route_never_escape_nor_answer_5xx()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("COMFYSHARP_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : 22;
        string sandbox = TestPaths.NewTempDirectory("comfysharp-pathfuzz");
        string outside = Path.Combine(sandbox, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, SecretName), Secret);
        Directory.CreateDirectory(Path.Combine(outside, "inner-7d1f"));
        File.WriteAllText(Path.Combine(outside, "inner-7d1f", SecretName), Secret);
        string baseDir = Path.Combine(sandbox, "base");
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(settings => settings.BaseDirectory = baseDir);
        // Links that point outside from every root, to a folder and to a file.
        string userRoot = Path.Combine(server.Directories.User, "default");
        foreach (string root in new[] { server.Directories.Input, server.Directories.Output, server.Directories.Temp, userRoot, Path.Combine(baseDir, "models", "checkpoints") })
        {
            Directory.CreateDirectory(root);
            File.CreateSymbolicLink(Path.Combine(root, "filelink.png"), Path.Combine(outside, SecretName));
            Directory.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        }
        File.WriteAllText(Path.Combine(userRoot, "mine.json"), "{}");
        string[] outsideBefore = Snapshot(sandbox, baseDir);

        var random = new Random(seed);
        var failures = new List<string>();
        int requests = 0;
        async Task CheckAsync(string what, Func<Task<HttpResponseMessage>> send)
        {
            requests++;
            using HttpResponseMessage response = await send();
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            string text = Encoding.UTF8.GetString(body);
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{what}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
            }
            // The secret's bytes anywhere, or in a listing a path through the root's link that points outside (writes
            // under that link are refused, so nothing legitimate lives there) or the folder that only exists outside.
            bool listing = what.Contains("list", StringComparison.Ordinal);
            if (text.Contains(Secret, StringComparison.Ordinal)
                || (listing && (text.Contains("\"link/", StringComparison.Ordinal) || text.Contains("inner-7d1f", StringComparison.Ordinal))))
            {
                failures.Add($"{what}: escaped ({(int)response.StatusCode})");
            }
        }

        string Name() => Hostile[random.Next(Hostile.Length)];
        string Q(string value) => Uri.EscapeDataString(value.Replace("\ud800", "", StringComparison.Ordinal)) + (value.Contains('\ud800', StringComparison.Ordinal) ? "%ED%A0%80" : "");
        string[] types = ["output", "input", "temp", "models", "../output", "", "x"];
        for (int round = 0; round < 10; round++)
        {
            foreach (string name in Hostile)
            {
                string other = Name();
                string type = types[random.Next(types.Length)];
                await CheckAsync($"view {name}", () => server.Http.GetAsync($"view?filename={Q(name)}&subfolder={Q(other)}&type={Q(type)}"));
                await CheckAsync($"view preview {name}", () => server.Http.GetAsync($"view?filename={Q(name)}&type=input&preview=webp;50&channel=rgb"));
                await CheckAsync($"view_metadata {name}", () => server.Http.GetAsync($"view_metadata/checkpoints?filename={Q(name + ".safetensors")}"));
                await CheckAsync($"userdata get {name}", () => server.Http.GetAsync($"userdata/{Q(name)}"));
                await CheckAsync($"userdata post {name}", () => server.Http.PostAsync($"userdata/{Q(name)}?overwrite=true", new StringContent("{}")));
                await CheckAsync($"userdata move {name}", () => server.Http.PostAsync($"userdata/mine.json/move/{Q(name)}?overwrite=false", null));
                await CheckAsync($"userdata move back {name}", () => server.Http.PostAsync($"userdata/{Q(name)}/move/{Q(other)}", null));
                await CheckAsync($"userdata delete {name}", () => server.Http.DeleteAsync($"userdata/{Q(name)}"));
                await CheckAsync($"userdata list {name}", () => server.Http.GetAsync($"userdata?dir={Q(name)}&recurse=true&full_info={(random.Next(2) == 0 ? "true" : "false")}"));
                await CheckAsync($"v2 userdata list {name}", () => server.Http.GetAsync($"v2/userdata?path={Q(name)}"));
                await CheckAsync($"upload {name}", () => server.Http.PostAsync("upload/image", Upload(name, other, type, null)));
                await CheckAsync($"upload mask {name}", () => server.Http.PostAsync("upload/mask", Upload("m.png", other, "input",
                    random.Next(4) switch
                    {
                        0 => $"{{\"filename\": \"{Escape(name)}\", \"type\": \"input\", \"subfolder\": \"{Escape(other)}\"}}",
                        1 => "not json",
                        2 => "{\"filename\": {}, \"type\": [1], \"subfolder\": 5}",
                        _ => "{\"filename\": \"a\", \"filename\": \"b\"}",
                    })));
            }
            if (round == 0)
            {
                // The plain listings of the roots: names behind the links must not show.
                await CheckAsync("userdata list root", () => server.Http.GetAsync("userdata?dir=.&recurse=true"));
                await CheckAsync("userdata list root split", () => server.Http.GetAsync("userdata?dir=.&recurse=true&split=true"));
                await CheckAsync("v2 userdata list root", () => server.Http.GetAsync("v2/userdata?path="));
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests failed:\n" + string.Join("\n", failures.Distinct().Take(30)));
        Assert.Equal(outsideBefore, Snapshot(sandbox, baseDir));
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(outside, SecretName)));
        await HardeningServer.AssertHealthyAsync(server);
        Directory.Delete(sandbox, recursive: true);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\0", "\\u0000", StringComparison.Ordinal);

    private static MultipartFormDataContent Upload(string filename, string subfolder, string type, string? originalRef)
    {
        var content = new MultipartFormDataContent();
        var image = new ByteArrayContent(Png);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        // Set the raw header so the hostile name reaches the server unchanged.
        image.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"image\"; filename=\"{filename.Replace("\"", "%22", StringComparison.Ordinal)}\"");
        content.Add(image);
        content.Add(new StringContent(subfolder), "subfolder");
        content.Add(new StringContent(type), "type");
        content.Add(new StringContent("false"), "overwrite");
        if (originalRef is not null)
        {
            content.Add(new StringContent(originalRef), "original_ref");
        }
        return content;
    }

    // Every path outside the server's base directory, with its size: nothing there may change.
    private static string[] Snapshot(string sandbox, string baseDir) =>
        [.. Directory.EnumerateFileSystemEntries(sandbox, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(p => !p.StartsWith(baseDir, StringComparison.Ordinal))
            .Select(p => p + ":" + (File.Exists(p) ? new FileInfo(p).Length : -1))
            .Order(StringComparer.Ordinal)];

    // A 1×1 PNG.
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");
}
