using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.Server.Tests.Support;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class MiddlewareTests
{
    [Theory]
    [InlineData("localhost:8199", "http://localhost:8199", HttpStatusCode.OK)]
    [InlineData("localhost:8199", "http://127.0.0.1:8199", HttpStatusCode.Forbidden)]
    [InlineData("localhost:8199", "http://127.0.0.1", HttpStatusCode.Forbidden)]
    [InlineData("localhost:8199", "http://evil.com", HttpStatusCode.Forbidden)]
    [InlineData("localhost:8199", "null", HttpStatusCode.OK)]
    [InlineData("localhost:8199", null, HttpStatusCode.OK)]
    [InlineData("example.org:8199", "http://evil.com", HttpStatusCode.OK)]
    public async Task Same_origin_guard_follows_the_reference_table(string host, string? origin, HttpStatusCode expected)
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "queue");
        request.Headers.Host = host;
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }
        using HttpResponseMessage response = await server.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Forbidden)
        {
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Cors_flag_replaces_the_guard_and_answers_options()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync(s => s.Options.CorsOrigin = "*");
        using var request = new HttpRequestMessage(HttpMethod.Get, "queue");
        request.Headers.Host = "localhost:8199";
        request.Headers.TryAddWithoutValidation("Origin", "http://evil.com");
        using HttpResponseMessage response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("POST, GET, DELETE, PUT, OPTIONS, PATCH", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        using HttpResponseMessage options = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Options, "anything/at/all"));
        Assert.Equal(HttpStatusCode.OK, options.StatusCode);
        Assert.Equal("true", options.Headers.GetValues("Access-Control-Allow-Credentials").Single());
    }

    [Fact]
    public async Task Oversized_body_is_413_with_the_reference_text()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync(s => s.Options.MaxUploadSize = 1024);
        using var content = new ByteArrayContent(new byte[4096]);
        using HttpResponseMessage response = await server.Http.PostAsync("upload/image", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("Maximum request body size 1024 exceeded, actual body size 4096", await response.Content.ReadAsStringAsync());
        Assert.Equal("{\"supports_preview_metadata\": true, \"max_upload_size\": 1024, \"extension\": {\"manager\": {\"supports_v4\": true}}}",
            await server.Http.GetStringAsync("features"));
    }

    [Fact]
    public async Task Image_paths_get_cache_headers_and_view_does_not()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        using HttpResponseMessage missingPng = await server.Http.GetAsync("some/missing.png");
        Assert.Equal("public, max-age=3600", missingPng.Headers.CacheControl!.ToString());
        await File.WriteAllBytesAsync(Path.Combine(server.Directories.Output, "x.png"), StandInRunner.Png);
        using HttpResponseMessage view = await server.Http.GetAsync("view?filename=x.png");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        Assert.Null(view.Headers.CacheControl);
        using HttpResponseMessage js = await server.Http.GetAsync("scripts/app.js");
        Assert.True(js.Headers.CacheControl!.NoCache);
    }

    [Fact]
    public async Task Queue_post_with_bad_json_is_500_and_history_with_bad_max_items_is_500()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        using HttpResponseMessage queue = await server.Http.PostAsync("queue", new StringContent("{"));
        Assert.Equal(HttpStatusCode.InternalServerError, queue.StatusCode);
        using HttpResponseMessage history = await server.Http.GetAsync("history?max_items=abc");
        Assert.Equal(HttpStatusCode.InternalServerError, history.StatusCode);
        using HttpResponseMessage free = await server.PostJsonAsync("free", new JsonObject { ["free_memory"] = true });
        Assert.Equal(HttpStatusCode.OK, free.StatusCode);
    }
}
