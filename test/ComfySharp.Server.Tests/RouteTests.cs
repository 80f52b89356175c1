using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Server.Tests.Support;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class ServerFixture : IAsyncLifetime
{
    public ComfyTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await StandInServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public sealed class RouteTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private ComfyTestServer Server => fixture.Server;

    public static TheoryData<string> JsonGetRoutes => new()
    {
        "prompt", "queue", "history", "history/unknown-id", "object_info", "object_info/NoSuchNode", "models", "models/checkpoints",
        "embeddings", "extensions", "system_stats", "features", "settings", "settings/Comfy.Some", "users", "i18n",
        "v2/userdata?path=", "experiment/models", "workflow_templates", "global_subgraphs", "internal/folder_paths",
    };

    [Theory]
    [MemberData(nameof(JsonGetRoutes))]
    public async Task Every_json_route_answers_at_the_bare_path_and_under_api(string route)
    {
        foreach (string path in new[] { route, "api/" + route })
        {
            using HttpResponseMessage response = await Server.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            string text = await response.Content.ReadAsStringAsync();
            Assert.NotEmpty(text);
            _ = PythonJson.Parse(text);
        }
    }

    [Theory]
    [MemberData(nameof(JsonGetRoutes))]
    public async Task Every_get_route_answers_HEAD_without_a_body(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, route);
        using HttpResponseMessage response = await Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Jobs_live_only_under_api()
    {
        foreach (string path in new[] { "api/jobs", "api/api/jobs" })
        {
            using HttpResponseMessage ok = await Server.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using HttpResponseMessage bare = await Server.Http.GetAsync("jobs");
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
        Assert.Equal("404: Not Found", await bare.Content.ReadAsStringAsync());
        using HttpResponseMessage missing = await Server.Http.GetAsync("api/jobs/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("{\"error\": \"Job not found\"}", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Models_list_matches_the_reference_and_aliases_are_not_folders()
    {
        JsonNode expected = Sample("http_models_list.json")["body"]!;
        JsonNode actual = (await Server.GetJsonAsync("models"))!;
        Assert.Equal(PythonJson.Serialize(expected), PythonJson.Serialize(actual));
        using HttpResponseMessage clip = await Server.Http.GetAsync("models/clip");
        Assert.Equal(HttpStatusCode.NotFound, clip.StatusCode);
        Assert.Equal(0, clip.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Model_folder_listing_is_sorted_relative_and_filtered_by_extension()
    {
        string dir = Path.Combine(Server.Directories.Models, "checkpoints", "sub");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "b.safetensors"), "x");
        await File.WriteAllTextAsync(Path.Combine(Server.Directories.Models, "checkpoints", "a.ckpt"), "x");
        await File.WriteAllTextAsync(Path.Combine(Server.Directories.Models, "checkpoints", "notes.txt"), "x");
        Assert.Equal("[\"a.ckpt\", \"sub/b.safetensors\"]", PythonJson.Serialize(await Server.GetJsonAsync("models/checkpoints")));
        Directory.CreateDirectory(Path.Combine(Server.Directories.Models, "embeddings"));
        await File.WriteAllTextAsync(Path.Combine(Server.Directories.Models, "embeddings", "easynegative.safetensors"), "x");
        Assert.Equal("[\"easynegative\"]", PythonJson.Serialize(await Server.GetJsonAsync("embeddings")));
    }

    [Theory]
    [InlineData("http_queue_idle.json", "queue")]
    [InlineData("http_prompt_get.json", "prompt")]
    [InlineData("http_history_unknown_id.json", "history/0c1f-unknown")]
    [InlineData("http_features.json", "features")]
    [InlineData("http_extensions.json", "extensions")]
    [InlineData("http_system_stats.json", "system_stats")]
    public async Task Replies_have_the_shape_of_the_captured_reference_replies(string sample, string route)
    {
        JsonObject captured = Sample(sample);
        using HttpResponseMessage response = await Server.Http.GetAsync(route);
        Assert.Equal((int)captured["status"]!, (int)response.StatusCode);
        Assert.Equal((string?)captured["headers"]!["Content-Type"], response.Content.Headers.ContentType?.ToString());
        Shape.AssertSame(captured["body"], PythonJson.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Prompt_without_prompt_key_is_the_no_prompt_error_and_bad_json_is_500()
    {
        JsonObject noPrompt = Sample("http_post_prompt_no_prompt_key.json");
        using HttpResponseMessage a = await Server.PostJsonAsync("prompt", new JsonObject { ["client_id"] = "x" });
        Assert.Equal(400, (int)a.StatusCode);
        Assert.Equal(PythonJson.Serialize(noPrompt["body"]), await a.Content.ReadAsStringAsync());

        JsonObject notJson = Sample("http_post_prompt_not_json.json");
        using HttpResponseMessage b = await Server.Http.PostAsync("prompt", new StringContent("this is not json"));
        Assert.Equal(500, (int)b.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", b.Content.Headers.ContentType!.ToString());
        Assert.Equal((string)notJson["body"]!, await b.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_route_and_wrong_method_have_the_reference_bodies()
    {
        using HttpResponseMessage missing = await Server.Http.GetAsync("no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("404: Not Found", await missing.Content.ReadAsStringAsync());
        using HttpResponseMessage wrong = await Server.Http.DeleteAsync("queue");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Equal("405: Method Not Allowed", await wrong.Content.ReadAsStringAsync());
        Assert.Contains("POST", wrong.Content.Headers.Allow);
    }

    [Fact]
    public async Task Index_page_is_served_with_no_cache_headers()
    {
        using HttpResponseMessage page = await Server.Http.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("ComfySharp", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(page.Headers.CacheControl!.NoCache);
    }

    [Fact]
    public async Task Settings_round_trip_through_the_user_directory()
    {
        using HttpResponseMessage post = await Server.PostJsonAsync("api/settings", new JsonObject { ["Comfy.A"] = 1, ["Comfy.B"] = "x" });
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        using HttpResponseMessage one = await Server.PostJsonAsync("settings/Comfy.C", JsonValue.Create(true)!);
        Assert.Equal("{\"Comfy.A\": 1, \"Comfy.B\": \"x\", \"Comfy.C\": true}", PythonJson.Serialize(await Server.GetJsonAsync("settings")));
        Assert.Equal("\"x\"", PythonJson.Serialize(await Server.GetJsonAsync("settings/Comfy.B")));
        Assert.True(File.Exists(Path.Combine(Server.Directories.User, "default", "comfy.settings.json")));
    }

    [Fact]
    public async Task Userdata_files_can_be_written_listed_moved_and_deleted()
    {
        using HttpResponseMessage write = await Server.Http.PostAsync("userdata/workflows%2Fa.json", new StringContent("{}"));
        Assert.Equal("\"workflows/a.json\"", await write.Content.ReadAsStringAsync());
        using HttpResponseMessage conflict = await Server.Http.PostAsync("userdata/workflows%2Fa.json?overwrite=false", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("[\"a.json\"]", PythonJson.Serialize(await Server.GetJsonAsync("userdata?dir=workflows")));
        using HttpResponseMessage move = await Server.Http.PostAsync("userdata/workflows%2Fa.json/move/workflows%2Fb.json", null);
        Assert.Equal("\"workflows/b.json\"", await move.Content.ReadAsStringAsync());
        using HttpResponseMessage escape = await Server.Http.GetAsync("userdata?dir=../../");
        Assert.Equal(HttpStatusCode.Forbidden, escape.StatusCode);
        using HttpResponseMessage noDir = await Server.Http.GetAsync("userdata");
        Assert.Equal(HttpStatusCode.BadRequest, noDir.StatusCode);
        using HttpResponseMessage delete = await Server.Http.DeleteAsync("userdata/workflows%2Fb.json");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using HttpResponseMessage gone = await Server.Http.GetAsync("userdata/workflows%2Fb.json");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    internal static JsonObject Sample(string name) =>
        (JsonObject)PythonJson.Parse(File.ReadAllText(Path.Combine(TestPaths.Shared, "spec", "samples", name)))!;
}
