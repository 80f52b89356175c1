using System.Net;
using ComfySharp.Server.Tests.Support;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class FileTests
{
    private static async Task<string> UploadAsync(ComfyTestServer server, string route, byte[] bytes, string name, params (string Key, string Value)[] fields)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(bytes), "image", name);
        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }
        using HttpResponseMessage response = await server.Http.PostAsync(route, form);
        string body = await response.Content.ReadAsStringAsync();
        return $"{(int)response.StatusCode} {body}";
    }

    [Fact]
    public async Task Upload_reuses_identical_bytes_and_numbers_different_ones()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        byte[] a = StandInRunner.Png;
        byte[] b = [.. StandInRunner.Png, 0];
        Assert.Equal("200 {\"name\": \"up.png\", \"subfolder\": \"\", \"type\": \"input\"}", await UploadAsync(server, "upload/image", a, "up.png"));
        Assert.Equal("200 {\"name\": \"up.png\", \"subfolder\": \"\", \"type\": \"input\"}", await UploadAsync(server, "upload/image", a, "up.png"));
        Assert.Equal("200 {\"name\": \"up (1).png\", \"subfolder\": \"\", \"type\": \"input\"}", await UploadAsync(server, "api/upload/image", b, "up.png"));
        Assert.Equal("200 {\"name\": \"up (1).png\", \"subfolder\": \"\", \"type\": \"input\"}", await UploadAsync(server, "upload/image", b, "up.png"));
        Assert.Equal("200 {\"name\": \"up.png\", \"subfolder\": \"\", \"type\": \"input\"}", await UploadAsync(server, "upload/image", b, "up.png", ("overwrite", "true")));
        Assert.Equal(b, await File.ReadAllBytesAsync(Path.Combine(server.Directories.Input, "up.png")));
        Assert.Equal("200 {\"name\": \"s.png\", \"subfolder\": \"clip/space\", \"type\": \"temp\"}", await UploadAsync(server, "upload/image", a, "s.png", ("subfolder", "clip/space"), ("type", "temp")));
        Assert.True(File.Exists(Path.Combine(server.Directories.Temp, "clip", "space", "s.png")));
    }

    [Fact]
    public async Task Upload_refuses_escapes_missing_parts_and_bad_types()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        Assert.StartsWith("400", await UploadAsync(server, "upload/image", StandInRunner.Png, "x.png", ("subfolder", "../../etc")), StringComparison.Ordinal);
        Assert.StartsWith("400", await UploadAsync(server, "upload/image", StandInRunner.Png, "x.png", ("type", "models")), StringComparison.Ordinal);
        using var empty = new MultipartFormDataContent { { new StringContent("x"), "overwrite" } };
        using HttpResponseMessage noImage = await server.Http.PostAsync("upload/image", empty);
        Assert.Equal(HttpStatusCode.BadRequest, noImage.StatusCode);
        Assert.False(File.Exists(Path.Combine(server.BaseDirectory, "etc", "x.png")));
    }

    [Theory]
    [InlineData("view", HttpStatusCode.NotFound)]
    [InlineData("view?filename=", HttpStatusCode.BadRequest)]
    [InlineData("view?filename=../x.png", HttpStatusCode.BadRequest)]
    [InlineData("view?filename=/etc/passwd", HttpStatusCode.BadRequest)]
    [InlineData("view?filename=up.png&type=bogus", HttpStatusCode.BadRequest)]
    [InlineData("view?filename=up.png&type=input&subfolder=../../", HttpStatusCode.Forbidden)]
    [InlineData("view?filename=up.png&type=input&subfolder=/etc", HttpStatusCode.Forbidden)]
    [InlineData("view?filename=missing.png", HttpStatusCode.NotFound)]
    [InlineData("view?filename=up.png&type=input", HttpStatusCode.OK)]
    [InlineData("view?filename=up.png%20[input]", HttpStatusCode.OK)]
    [InlineData("view?filename=sub/up.png&type=input", HttpStatusCode.OK)]
    [InlineData("api/view?filename=up.png&type=input", HttpStatusCode.OK)]
    public async Task View_checks_in_the_reference_order(string url, HttpStatusCode expected)
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await File.WriteAllBytesAsync(Path.Combine(server.Directories.Input, "up.png"), StandInRunner.Png);
        using HttpResponseMessage response = await server.Http.GetAsync(url);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal("image/png", response.Content.Headers.ContentType!.ToString());
            Assert.Equal("filename=\"up.png\"", response.Content.Headers.GetValues("Content-Disposition").Single());
            Assert.NotNull(response.Headers.ETag);
            Assert.Equal(StandInRunner.Png, await response.Content.ReadAsByteArrayAsync());
        }
        else
        {
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task View_refuses_a_symlink_that_leaves_the_directory()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        string outside = Path.Combine(server.BaseDirectory, "secret");
        Directory.CreateDirectory(outside);
        await File.WriteAllBytesAsync(Path.Combine(outside, "s.png"), StandInRunner.Png);
        Directory.CreateSymbolicLink(Path.Combine(server.Directories.Output, "link"), outside);
        using HttpResponseMessage response = await server.Http.GetAsync("view?filename=s.png&subfolder=link");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("&preview=webp;50", "image/webp")]
    [InlineData("&preview=jpeg", "image/jpeg")]
    [InlineData("&preview=jpeg&channel=a", "image/webp")]
    [InlineData("&preview=png;80", "image/webp")]
    [InlineData("&channel=rgb", "image/png")]
    [InlineData("&channel=a", "image/png")]
    public async Task View_reencodes_previews_and_channels(string query, string contentType)
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await File.WriteAllBytesAsync(Path.Combine(server.Directories.Input, "up.png"), StandInRunner.Png);
        using HttpResponseMessage response = await server.Http.GetAsync("view?filename=up.png&type=input" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.ToString());
        Assert.NotEqual(StandInRunner.Png, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Mask_upload_merges_alpha_into_the_original_and_keeps_its_text_chunks()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        byte[] original = Server.Files.ImageTools.AddPngText(StandInRunner.Png, [("prompt", "{\"1\": {}}")]);
        await File.WriteAllBytesAsync(Path.Combine(server.Directories.Output, "orig.png"), original);
        string reply = await UploadAsync(server, "upload/mask", StandInRunner.Png, "mask.png",
            ("original_ref", "{\"filename\": \"orig.png\", \"type\": \"output\", \"subfolder\": \"\"}"), ("subfolder", "clipspace"));
        Assert.Equal("200 {\"name\": \"mask.png\", \"subfolder\": \"clipspace\", \"type\": \"input\"}", reply);
        byte[] saved = await File.ReadAllBytesAsync(Path.Combine(server.Directories.Input, "clipspace", "mask.png"));
        Assert.Contains(("prompt", "{\"1\": {}}"), Server.Files.ImageTools.ReadPngText(saved));
        string bad = await UploadAsync(server, "upload/mask", [.. StandInRunner.Png, 1], "m2.png", ("original_ref", "{\"filename\": \"../x.png\"}"));
        Assert.StartsWith("200", bad, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.Directories.Input, "m2.png")));
    }

    [Fact]
    public async Task View_metadata_reads_the_safetensors_header()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        string dir = Path.Combine(server.Directories.Models, "loras");
        Directory.CreateDirectory(dir);
        byte[] header = System.Text.Encoding.UTF8.GetBytes("{\"__metadata__\": {\"ss_name\": \"x\"}, \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}");
        await File.WriteAllBytesAsync(Path.Combine(dir, "l.safetensors"), [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0, 0, 0, 0]);
        Assert.Equal("{\"ss_name\": \"x\"}", await server.Http.GetStringAsync("view_metadata/loras?filename=l.safetensors"));
        using HttpResponseMessage unknown = await server.Http.GetAsync("view_metadata/nope?filename=l.safetensors");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using HttpResponseMessage notSafetensors = await server.Http.GetAsync("view_metadata/loras?filename=l.ckpt");
        Assert.Equal(HttpStatusCode.NotFound, notSafetensors.StatusCode);
    }
}
