using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary>Signed webhook deliveries, retried and durable across a restart, and <c>?wait=</c>.</summary>
public sealed class WebhookTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task A_receiver_that_is_down_then_up_gets_the_signed_delivery_after_a_restart()
    {
        int port = FreePort();
        string hook = $"http://127.0.0.1:{port}/hook/";
        await using var server = await ComfyTestServer.StartAsync(s =>
        {
            s.Options.WebhookSecret = Secret;
            s.Options.WebhookBackoff = [TimeSpan.FromMilliseconds(300)];
            s.Options.WebhookMaxAttempts = 1000;
        });
        string id = await OperationsTests.RunAsync(server, AuthServer.Graph("hooked"), body => body["extra_data"] = new JsonObject { ["webhook"] = hook });
        // The receiver is down: attempts fail and are counted.
        await ComfyTestServer.WaitUntilAsync(async () => (await OperationsTests.ScrapeAsync(server)).Value("comfysharp_webhook_deliveries_total", ("result", "failed")) >= 2);
        await server.StopAsync();

        using var listener = new HttpListener();
        listener.Prefixes.Add(hook);
        listener.Start();
        Task<HttpListenerContext> received = listener.GetContextAsync();
        await server.RestartAsync();
        HttpListenerContext context = await received.WaitAsync(TimeSpan.FromSeconds(30));
        string body;
        using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }
        string msgId = context.Request.Headers["webhook-id"]!;
        string timestamp = context.Request.Headers["webhook-timestamp"]!;
        string signature = context.Request.Headers["webhook-signature"]!;
        context.Response.StatusCode = 204;
        context.Response.Close();

        // Standard Webhooks, verified here without the library: HMAC-SHA256 over "id.timestamp.body" with the base64 secret after "whsec_".
        using var hmac = new HMACSHA256(Convert.FromBase64String(Secret["whsec_".Length..]));
        string expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{msgId}.{timestamp}.{body}")));
        Assert.Contains(expected, signature.Split(' '));
        Assert.InRange(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        JsonNode payload = JsonNode.Parse(body)!;
        Assert.Equal("prompt.finished", (string?)payload["type"]);
        Assert.Equal(id, (string?)payload["data"]!["prompt_id"]);
        Assert.Equal("success", (string?)payload["data"]!["status"]);
        string url = (string)payload["data"]!["urls"]![0]!;
        Assert.Contains("/view?filename=hooked", url, StringComparison.Ordinal);
        Assert.True((long)payload["data"]!["timings"]!["execution_ms"]! >= 0);
        // The URL names the address the server had when the prompt finished (a new port after this restart): fetch its path here.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync(new Uri(url).PathAndQuery.TrimStart('/'))).StatusCode);
        await ComfyTestServer.WaitUntilAsync(async () => (await OperationsTests.ScrapeAsync(server)).Value("comfysharp_webhook_deliveries_total", ("result", "delivered")) == 1);
    }

    [Fact]
    public async Task Post_prompt_with_wait_answers_with_the_history_entry()
    {
        await using var server = await ComfyTestServer.StartAsync();
        using HttpResponseMessage response = await server.PostJsonAsync("prompt?wait=30", new JsonObject { ["prompt"] = AuthServer.Graph("waited", sleep: 0.2) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("success", (string?)answer["history"]!["status"]!["status_str"]);
        Assert.NotNull(answer["history"]!["outputs"]!["3"]);

        using HttpResponseMessage late = await server.PostJsonAsync("prompt?wait=0.1", new JsonObject { ["prompt"] = AuthServer.Graph("waited", sleep: 2) });
        Assert.Equal(HttpStatusCode.Accepted, late.StatusCode);
        Assert.NotNull(JsonNode.Parse(await late.Content.ReadAsStringAsync())!["prompt_id"]);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
