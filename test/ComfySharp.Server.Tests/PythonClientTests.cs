using System.Diagnostics;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class PythonClientTests
{
    [Fact]
    public async Task The_standard_library_python_client_queues_waits_and_downloads()
    {
        // The real engine and nodes: EmptyImage → SaveImage from the captured a_success case.
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var (name, png) = await RunClientAsync(server, apiKey: null);
        Assert.Equal(png, await File.ReadAllBytesAsync(Path.Combine(server.Directories.Output, name)));
    }

    [Fact]
    public async Task The_python_client_works_with_auth_by_passing_the_key()
    {
        await using Service.AuthServer auth = await Service.AuthServer.StartAsync();
        // Without the key the same client is refused (401 on its first request, the socket).
        var refused = await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() => RunClientAsync(auth.Server, apiKey: null));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        var (name, png) = await RunClientAsync(auth.Server, auth.Keys["alice"].Key);
        // The image came through /view from alice's output folder.
        Assert.Equal(png, await File.ReadAllBytesAsync(Path.Combine(auth.Server.Directories.Output, "u_alice", name)));
    }

    // Runs samples/python/basic_api_client.py on the captured a_success workflow; returns the image it downloaded.
    private static async Task<(string Name, byte[] Png)> RunClientAsync(ComfyTestServer server, string? apiKey)
    {
        string work = TestPaths.NewTempDirectory("comfysharp-py");
        try
        {
            string workflow = Path.Combine(work, "workflow_api.json");
            await File.WriteAllTextAsync(workflow, PythonJson.Serialize(RouteTests.Sample("a_success.json")["request"]!["prompt"]));
            var start = new ProcessStartInfo("python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { Path.Combine(TestPaths.RepositoryRoot, "samples", "python", "basic_api_client.py"),
                    "--server", $"127.0.0.1:{server.BaseAddress.Port}", "--out", work, workflow },
            };
            start.Environment.Remove("COMFY_API_KEY");
            if (apiKey is not null)
            {
                start.ArgumentList.Insert(1, "--api-key");
                start.ArgumentList.Insert(2, apiKey);
            }
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(limit.Token);
            string output = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, output);
            Assert.Contains("status: success", output, StringComparison.Ordinal);
            string saved = Assert.Single(Directory.GetFiles(work, "*.png"));
            byte[] png = await File.ReadAllBytesAsync(saved);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            return (Path.GetFileName(saved), png);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
