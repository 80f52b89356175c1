using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;

namespace ComfySharp.Client.Tests;

internal static class Servers
{
    public static Task<ComfyTestServer> StartAsync(string? baseDirectory = null) =>
        ComfyTestServer.StartAsync(s =>
        {
            s.BaseDirectory = baseDirectory;
        });

    public static ComfyClient Client(ComfyTestServer server, ComfyClientOptions? options = null) => new(server.BaseAddress, options);

    public static JsonObject SaveGraph(string prefix = "client/test", string content = "WHITE", int width = 16)
    {
        var builder = new WorkflowBuilder();
        WorkflowNode image = builder.Add("StubImage", new { content, height = 8, width, batch_size = 1 });
        builder.Add("SaveImage").Link("images", image).Set("filename_prefix", prefix);
        return builder.Build();
    }

    public static JsonObject SleepGraph(double seconds, string prefix = "client/sleep")
    {
        var builder = new WorkflowBuilder();
        WorkflowNode image = builder.Add("StubImage", new { content = "BLACK", height = 8, width = 8, batch_size = 1 });
        WorkflowNode sleep = builder.Add("TestSleep").Link("value", image).Set("seconds", seconds);
        builder.Add("SaveImage").Link("images", sleep).Set("filename_prefix", prefix);
        return builder.Build();
    }

    public static async Task WaitAsync(Func<Task<bool>> condition) => await ComfyTestServer.WaitUntilAsync(condition, TimeSpan.FromSeconds(60));
}

/// <summary>A loopback TCP forwarder with a fixed port, so a client keeps one address across server restarts.</summary>
internal sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TcpForwarder(int targetPort)
    {
        TargetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int TargetPort { get; set; }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = PumpAsync(client);
        }
    }

    private async Task PumpAsync(TcpClient client)
    {
        using (client)
        using (var backend = new TcpClient())
        {
            try
            {
                await backend.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
                NetworkStream a = client.GetStream(), b = backend.GetStream();
                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
            }
            catch (Exception)
            {
                // A refused or reset connection simply ends this pair.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
