using System.Diagnostics;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>The built <c>comfysharp</c> executable as a child process: flags, and a hard kill with work queued.</summary>
public sealed class ProcessTests
{
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
            Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        }

        public Uri Address { get; }

        public HttpClient Http { get; }

        public static async Task<ServerProcess> StartAsync(string baseDirectory)
        {
            var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            const string marker = "To see the GUI go to: ";
            var process = new Process { StartInfo = Start("--base-directory", baseDirectory, "--port", "0", "--test-nodes", "--cpu") };
            void OnLine(object sender, DataReceivedEventArgs e)
            {
                if (e.Data is null)
                {
                    return;
                }
                output.Enqueue(e.Data);
                if (e.Data.StartsWith(marker, StringComparison.Ordinal))
                {
                    listening.TrySetResult(new Uri(e.Data[marker.Length..].TrimEnd('/') + "/"));
                }
            }
            process.OutputDataReceived += OnLine;
            process.ErrorDataReceived += OnLine;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Task finished = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(3)));
            Assert.True(finished == listening.Task, "comfysharp did not start listening:\n" + string.Join("\n", output));
            return new ServerProcess(process, await listening.Task);
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Kill();
            }
            _process.Dispose();
            Http.Dispose();
        }
    }

    private static ProcessStartInfo Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "comfysharp.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    [Fact]
    public async Task Unknown_flag_exits_with_code_2()
    {
        using Process process = Process.Start(Start("--no-such-flag"))!;
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("unrecognized arguments: --no-such-flag", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killed_server_restarts_with_history_pending_work_and_the_interrupted_prompt_recorded()
    {
        string baseDirectory = TestPaths.NewTempDirectory("comfysharp-kill");
        try
        {
            JsonObject sleeping = (JsonObject)RouteTests.Sample("d_interrupt.json")["request"]!["prompt"]!.DeepClone();
            JsonObject quick = (JsonObject)RouteTests.Sample("a_success.json")["request"]!["prompt"]!.DeepClone();
            string done, interrupted, pending;
            using (ServerProcess first = await ServerProcess.StartAsync(baseDirectory))
            {
                done = await PostAsync(first, quick);
                await WaitAsync(first, async () => ((JsonObject)(await GetAsync(first, $"history/{done}"))!).Count == 1);
                interrupted = await PostAsync(first, sleeping);
                await WaitAsync(first, async () => ((JsonArray)(await GetAsync(first, "queue"))!["queue_running"]!).Count == 1);
                quick["2"]!["inputs"]!["filename_prefix"] = "after_restart";
                pending = await PostAsync(first, quick);
                first.Kill();
            }
            using ServerProcess second = await ServerProcess.StartAsync(baseDirectory);
            await WaitAsync(second, async () => ((JsonObject)(await GetAsync(second, $"history/{pending}"))!).Count == 1);
            JsonObject history = (JsonObject)(await GetAsync(second, "history"))!;
            Assert.Equal([done, interrupted, pending], history.Select(kv => kv.Key));
            Assert.Equal("success", (string)history[done]!["status"]!["status_str"]!);
            Assert.Equal("success", (string)history[pending]!["status"]!["status_str"]!);
            Assert.Equal("error", (string)history[interrupted]!["status"]!["status_str"]!);
            Assert.Contains(QueueWorker.RestartMessage, PythonJson.Serialize(history[interrupted]), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(baseDirectory, "output", "after_restart_00001_.png")));
        }
        finally
        {
            Directory.Delete(baseDirectory, recursive: true);
        }
    }

    private static async Task<string> PostAsync(ServerProcess server, JsonObject prompt)
    {
        using var content = new StringContent(PythonJson.Serialize(new JsonObject { ["prompt"] = prompt.DeepClone() }));
        using HttpResponseMessage response = await server.Http.PostAsync("prompt", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (string)PythonJson.Parse(text)!["prompt_id"]!;
    }

    private static async Task<JsonNode?> GetAsync(ServerProcess server, string path) =>
        PythonJson.Parse(await server.Http.GetStringAsync(path));

    private static Task WaitAsync(ServerProcess server, Func<Task<bool>> condition) =>
        ComfyTestServer.WaitUntilAsync(condition, TimeSpan.FromMinutes(2));
}
