using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.Cli;
using ComfySharp.Storage;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Client.Tests;

/// <summary>The SDK and CLI over the service extensions (API keys, <c>?wait=</c>, SSE, cancel by id, webhooks) against a real server with <c>--auth</c>.</summary>
public sealed class ServiceClientTests
{
    private sealed class AuthedServer : IAsyncDisposable
    {
        public required ComfyTestServer Server { get; init; }

        public required string Directory { get; init; }

        public required string Key { get; init; }

        public required string WebhookSecret { get; init; }

        public ComfyClient Client(string? key = null) => new(Server.BaseAddress, new ComfyClientOptions { ApiKey = key ?? Key });

        public static async Task<AuthedServer> StartAsync()
        {
            string directory = TestPaths.NewTempDirectory("client-auth");
            CreatedApiKey created;
            using (var store = new SqliteAccountStore(Path.Combine(directory, "user", "comfysharp.db")))
            {
                store.AddUser("alice", false);
                created = store.CreateKey("alice");
            }
            ComfyTestServer server = await ComfyTestServer.StartAsync(s =>
            {
                s.BaseDirectory = directory;
                s.Options.RequireAuth = true;
            });
            return new AuthedServer { Server = server, Directory = directory, Key = created.Key, WebhookSecret = created.Record.WebhookSecret };
        }

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }

    [Fact]
    public async Task Valid_key_queues_and_waits_wrong_key_gets_401_everywhere()
    {
        await using AuthedServer auth = await AuthedServer.StartAsync();
        using ComfyClient client = auth.Client();
        PromptWaitResult result = await client.QueuePromptAndWaitAsync(Servers.SaveGraph("svc/wait"), TimeSpan.FromSeconds(60));
        Assert.True(result.Finished);
        Assert.True(result.Succeeded);
        Assert.Equal(result.PromptId, result.History!.PromptId);
        ImageRef file = Assert.Single(result.History.Files);
        Assert.StartsWith("svc", file.Subfolder.Replace('\\', '/').Split('/').Last(), StringComparison.Ordinal);
        byte[] png = await client.ViewAsync(file);
        Assert.Equal(0x89, png[0]);
        // The API key also opens /ws (header and ?token=).
        using (System.Net.WebSockets.ClientWebSocket socket = await client.ConnectSocketAsync())
        {
            Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.State);
        }

        using ComfyClient wrong = auth.Client("csk_wrong_key");
        ComfyClientException http = await Assert.ThrowsAsync<ComfyClientException>(() => wrong.GetQueueAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, http.StatusCode);
        ComfyClientException wait = await Assert.ThrowsAsync<ComfyClientException>(() => wrong.QueuePromptAndWaitAsync(Servers.SaveGraph(), TimeSpan.FromSeconds(5)));
        Assert.Equal(HttpStatusCode.Unauthorized, wait.StatusCode);
        ComfyClientException sse = await Assert.ThrowsAsync<ComfyClientException>(() => wrong.OpenEventStreamAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, sse.StatusCode);
        ComfyClientException cancel = await Assert.ThrowsAsync<ComfyClientException>(() => wrong.CancelPromptAsync(result.PromptId));
        Assert.Equal(HttpStatusCode.Unauthorized, cancel.StatusCode);
    }

    [Fact]
    public async Task Sse_yields_execution_start_to_success_for_one_prompt()
    {
        await using AuthedServer auth = await AuthedServer.StartAsync();
        using ComfyClient client = auth.Client();
        string id = Guid.NewGuid().ToString();
        await using ComfyEventStream stream = await client.OpenEventStreamAsync(id);
        await client.QueuePromptAsync(Servers.SleepGraph(0.05, "svc/sse"), promptId: id);
        var seen = new List<ComfyEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (ComfyEvent message in stream.ReadAllAsync(timeout.Token))
        {
            seen.Add(message);
            if (message is ExecutionSuccessEvent or ExecutionErrorEvent or ExecutionInterruptedEvent)
            {
                break;
            }
        }
        Assert.IsType<ExecutionStartEvent>(seen[0]);
        Assert.IsType<ExecutionSuccessEvent>(seen[^1]);
        Assert.All(seen, m => Assert.Equal(id, m.PromptId));
        Assert.Contains(seen, m => m is ExecutingEvent { Node: "2" });
        ExecutedEvent executed = Assert.Single(seen.OfType<ExecutedEvent>());
        Assert.NotNull(executed.Output?["images"]);
    }

    [Fact]
    public async Task Cancel_removes_a_pending_prompt_and_interrupts_the_running_one_webhook_travels_in_extra_data()
    {
        await using AuthedServer auth = await AuthedServer.StartAsync();
        using ComfyClient client = auth.Client();
        QueuedPromptInfo running = await client.QueuePromptAsync(Servers.SleepGraph(30, "svc/long"));
        await Servers.WaitAsync(async () => (await client.GetQueueAsync()).Running.Any(i => i.PromptId == running.PromptId));
        var hook = new Uri("http://127.0.0.1:9/hook");
        QueuedPromptInfo pending = await client.QueuePromptAsync(Servers.SaveGraph("svc/pending"), ComfyClient.WithWebhook(new JsonObject { ["note"] = 1 }, hook));
        QueueItem item = Assert.Single((await client.GetQueueAsync()).Pending);
        Assert.Equal(pending.PromptId, item.PromptId);
        Assert.Equal(hook.AbsoluteUri, item.ExtraData["webhook"]?.GetValue<string>());

        CancelPromptResult removed = await client.CancelPromptAsync(pending.PromptId);
        Assert.True(removed.Found);
        Assert.Equal([new CancelledPrompt(pending.PromptId, "pending")], removed.Cancelled);
        Assert.Empty((await client.GetQueueAsync()).Pending);
        Assert.False((await client.CancelPromptAsync(pending.PromptId)).Found);

        CancelPromptResult interrupted = await client.CancelPromptAsync(running.PromptId);
        Assert.Equal([new CancelledPrompt(running.PromptId, "running")], interrupted.Cancelled);
        await Servers.WaitAsync(async () => (await client.GetHistoryAsync(running.PromptId)) is { } h && h.Interrupted);
        Assert.Throws<ArgumentException>(() => ComfyClient.WithWebhook(null, new Uri("file:///tmp/x")));
    }

    [Fact]
    public async Task Webhook_passed_with_the_wait_is_delivered_signed_with_the_key_secret()
    {
        await using AuthedServer auth = await AuthedServer.StartAsync();
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        string hook = $"http://127.0.0.1:{port}/hook/";
        using var listener = new HttpListener();
        listener.Prefixes.Add(hook);
        listener.Start();
        Task<HttpListenerContext> received = listener.GetContextAsync();
        using ComfyClient client = auth.Client();
        PromptWaitResult result = await client.QueuePromptAndWaitAsync(Servers.SaveGraph("svc/hooked"), TimeSpan.FromSeconds(60), webhook: new Uri(hook));
        Assert.True(result.Succeeded);
        HttpListenerContext context = await received.WaitAsync(TimeSpan.FromSeconds(30));
        string body;
        using (var reader = new StreamReader(context.Request.InputStream, System.Text.Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }
        string msgId = context.Request.Headers["webhook-id"]!;
        string timestamp = context.Request.Headers["webhook-timestamp"]!;
        string signature = context.Request.Headers["webhook-signature"]!;
        context.Response.StatusCode = 204;
        context.Response.Close();
        using var hmac = new System.Security.Cryptography.HMACSHA256(Convert.FromBase64String(auth.WebhookSecret["whsec_".Length..]));
        string expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes($"{msgId}.{timestamp}.{body}")));
        Assert.Contains(expected, signature.Split(' '));
        JsonNode payload = JsonNode.Parse(body)!;
        Assert.Equal(result.PromptId, (string?)payload["data"]!["prompt_id"]);
        Assert.Equal("success", (string?)payload["data"]!["status"]);
    }

    [Fact]
    public async Task Wait_that_runs_out_answers_still_running()
    {
        await using AuthedServer auth = await AuthedServer.StartAsync();
        using ComfyClient client = auth.Client();
        PromptWaitResult result = await client.QueuePromptAndWaitAsync(Servers.SleepGraph(20, "svc/slow"), TimeSpan.FromMilliseconds(300));
        Assert.False(result.Finished);
        Assert.Null(result.History);
        Assert.NotEmpty(result.PromptId);
        Assert.True((await client.CancelPromptAsync(result.PromptId)).Found);
    }

    [Fact]
    public async Task Cli_api_key_run_wait_cancel_and_events()
    {
        await using AuthedServer auth = await AuthedServer.StartAsync();
        string server = auth.Server.BaseAddress.ToString();
        string dir = TestPaths.NewTempDirectory("cli-svc");
        string workflow = Path.Combine(dir, "workflow.json");
        await File.WriteAllTextAsync(workflow, Servers.SaveGraph("cli/svc").ToJsonString());
        string outDir = Path.Combine(dir, "out");

        (int code, string stdout, string stderr) = await RunCliAsync("run", workflow, "--server", server, "--api-key", auth.Key, "--wait", "60", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("saved ", stdout, StringComparison.Ordinal);
        Assert.Contains("done ", stdout, StringComparison.Ordinal);

        (code, _, stderr) = await RunCliAsync("queue", "--server", server, "--api-key", "csk_wrong");
        Assert.Equal(1, code);
        Assert.Contains("401", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunCliAsync("cancel", "no-such-prompt", "--server", server, "--api-key", auth.Key);
        Assert.Equal(1, code);
        Assert.Contains("neither running nor pending", stderr, StringComparison.Ordinal);

        using ComfyClient client = auth.Client();
        QueuedPromptInfo slow = await client.QueuePromptAsync(Servers.SleepGraph(30, "cli/slow"));
        (code, stdout, stderr) = await RunCliAsync("cancel", slow.PromptId, "--server", server, "--api-key", auth.Key);
        Assert.True(code == 0, stderr);
        Assert.Contains($"cancelled {slow.PromptId}", stdout, StringComparison.Ordinal);

        // A blocker holds the worker while the target waits pending and the CLI subscribes; cancelling it lets the target run.
        QueuedPromptInfo blocker = await client.QueuePromptAsync(Servers.SleepGraph(30, "cli/blocker"));
        string id = Guid.NewGuid().ToString();
        await client.QueuePromptAsync(Servers.SaveGraph("cli/events"), promptId: id);
        Task<(int, string, string)> events = RunCliAsync("events", "--prompt-id", id, "--until-done", "--server", server, "--api-key", auth.Key);
        await Task.Delay(2000);
        Assert.True((await client.CancelPromptAsync(blocker.PromptId)).Found);
        (code, stdout, stderr) = await events.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"execution_success {id}", stdout, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
