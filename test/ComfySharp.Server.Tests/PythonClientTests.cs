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
            Assert.Equal(png, await File.ReadAllBytesAsync(Path.Combine(server.Directories.Output, Path.GetFileName(saved))));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
