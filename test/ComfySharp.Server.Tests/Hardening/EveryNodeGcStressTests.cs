using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Issue 22: every registered node class whose inputs can be made without a model file runs on the real
/// server while another thread of the same process forces garbage collections and finalizers without pause
/// (<see cref="GcStressSweep"/>). Each class runs with its widgets at their defaults, at their minimums and at
/// their maximums, fed by small images, masks and latents. A node may fail with a clear error (a size over the
/// limit is a <c>ValueError</c>), but the process must survive, no failure may be a .NET programming error leaking
/// out, and a valid prompt must still run at the end. The classes that need a model are swept by
/// <see cref="EveryModelNodeGcStressTests"/>.
/// </summary>
public sealed class EveryNodeGcStressTests(ITestOutputHelper output)
{
    public enum Widgets { Default, Minimum, Maximum }

    [Theory]
    [InlineData(Widgets.Default)]
    [InlineData(Widgets.Minimum)]
    [InlineData(Widgets.Maximum)]
    public async Task Every_model_free_node_runs_or_fails_cleanly_while_collections_run(Widgets widgets)
    {
        // A low tensor limit (16 MiB of float32): maximum widgets must meet it as a node error before libtorch
        // allocates, so a node that skips the check shows up as a slow or hanging class here.
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(s =>
        {
            s.TestNodes = false;
            s.ConfigureServices = services => services.AddSingleton(new ServerOptions { MaxTensorElements = 1L << 22 });
        });
        await ProvideInputImageAsync(server);
        JsonObject catalogue = (JsonObject)(await server.GetJsonAsync("object_info"))!;

        var graphs = new NodeGraphs(widgets);
        GcStressSweep sweep = await GcStressSweep.RunAsync(server, catalogue, graphs.Build, TimeSpan.FromMinutes(1));
        sweep.Report(output, widgets.ToString());
        sweep.AssertNoBugs();
        // The harness itself must keep reaching the catalogue: with defaults nearly every model-free class succeeds.
        Assert.True(sweep.Ran.Count >= (widgets == Widgets.Default ? 100 : 60), $"only {sweep.Ran.Count} classes ran: {string.Join(", ", sweep.Ran)}");
    }

    /// <summary>Saves one PNG through the server and copies it into input/, so LoadImage-style nodes have a file.</summary>
    internal static async Task ProvideInputImageAsync(ComfyTestServer server)
    {
        var (status, body) = await HardeningServer.PostPromptAsync(server, HardeningServer.ValidGraph("stress"));
        Assert.Equal(200, status);
        await HardeningServer.WaitForHistoryAsync(server, (string)PythonJson.Parse(body)!["prompt_id"]!);
        string saved = Directory.GetFiles(server.Directories.Output, "stress*.png").First();
        File.Copy(saved, Path.Combine(server.Directories.Input, "example.png"));
    }
}
