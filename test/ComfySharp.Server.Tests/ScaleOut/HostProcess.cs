using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace ComfySharp.Server.Tests.ScaleOut;

/// <summary>One <c>comfysharp</c> process (the built host) with its address and output, killed hard on demand.</summary>
internal sealed class HostProcess : IDisposable
{
    private const string Marker = "To see the GUI go to: ";
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private HostProcess(string name, Process process, ConcurrentQueue<string> output, Uri address)
    {
        Name = name;
        _process = process;
        _output = output;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Name { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    public string Output => string.Join("\n", _output);

    /// <summary>Starts <c>comfysharp</c> with these flags (plus <c>--port 0</c>) and waits until it listens.</summary>
    public static async Task<HostProcess> StartAsync(string name, params string[] args)
    {
        var output = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "comfysharp.dll"));
        foreach (string arg in args.Concat(["--port", "0"]))
        {
            start.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = start };
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            output.Enqueue(e.Data);
            if (e.Data.StartsWith(Marker, StringComparison.Ordinal))
            {
                listening.TrySetResult(new Uri(e.Data[Marker.Length..].TrimEnd('/') + "/"));
            }
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task finished = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(2)));
        if (finished != listening.Task)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            Assert.Fail($"{name} did not start listening:\n" + string.Join("\n", output));
        }
        return new HostProcess(name, process, output, await listening.Task);
    }

    /// <summary>SIGKILL: no shutdown code runs (the machine is gone, as far as the others can tell).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        Http.Dispose();
    }
}
