using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Storage;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary>A server with <c>--auth</c> and three users (alice, bob, root the admin), each with a key made through the store as the CLI does.</summary>
internal sealed class AuthServer : IAsyncDisposable
{
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    private AuthServer(ComfyTestServer server, string directory, Dictionary<string, CreatedApiKey> keys)
    {
        Server = server;
        Directory = directory;
        Keys = keys;
    }

    public ComfyTestServer Server { get; }

    public string Directory { get; }

    public Dictionary<string, CreatedApiKey> Keys { get; }

    public static async Task<AuthServer> StartAsync(Action<SqliteAccountStore, Dictionary<string, CreatedApiKey>>? more = null, Action<ComfyServerOptions>? options = null)
    {
        string directory = TestPaths.NewTempDirectory("comfysharp-auth");
        var keys = new Dictionary<string, CreatedApiKey>(StringComparer.Ordinal);
        using (var store = new SqliteAccountStore(Path.Combine(directory, "user", "comfysharp.db")))
        {
            store.AddUser("alice", false);
            store.AddUser("bob", false);
            store.AddUser("root", true);
            foreach (string name in new[] { "alice", "bob", "root" })
            {
                keys[name] = store.CreateKey(name);
            }
            more?.Invoke(store, keys);
        }
        ComfyTestServer server = await ComfyTestServer.StartAsync(s =>
        {
            s.BaseDirectory = directory;
            s.Options.RequireAuth = true;
            options?.Invoke(s.Options);
        });
        return new AuthServer(server, directory, keys);
    }

    /// <summary>A client sending this user's key (or any bearer text).</summary>
    public HttpClient As(string userOrKey)
    {
        if (!_clients.TryGetValue(userOrKey, out HttpClient? client))
        {
            client = new HttpClient { BaseAddress = Server.BaseAddress };
            string key = Keys.TryGetValue(userOrKey, out CreatedApiKey? k) ? k.Key : userOrKey;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            _clients[userOrKey] = client;
        }
        return client;
    }

    public static JsonObject Graph(string prefix, double sleep = 0) => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "WHITE", ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 } },
        ["2"] = new JsonObject { ["class_type"] = "TestSleep", ["inputs"] = new JsonObject { ["value"] = new JsonArray("1", 0), ["seconds"] = sleep } },
        ["3"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("2", 0), ["filename_prefix"] = prefix } },
    };

    public async Task<HttpResponseMessage> PostAsync(string user, string path, JsonNode body) =>
        await As(user).PostAsync(path, new StringContent(PythonJson.Serialize(body), Encoding.UTF8, "application/json"));

    public async Task<string> PromptAsync(string user, string id, JsonObject graph, string? clientId = null)
    {
        var body = new JsonObject { ["prompt"] = graph, ["prompt_id"] = id };
        if (clientId is not null)
        {
            body["client_id"] = clientId;
        }
        using HttpResponseMessage response = await PostAsync(user, "prompt", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return id;
    }

    public async Task<JsonNode?> GetJsonAsync(string user, string path)
    {
        using HttpResponseMessage response = await As(user).GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{user} GET {path}: {response.StatusCode} {text}");
        return JsonNode.Parse(text);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (HttpClient client in _clients.Values)
        {
            client.Dispose();
        }
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
