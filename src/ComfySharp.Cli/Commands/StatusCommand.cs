using System.CommandLine;
using System.Text.Json.Nodes;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp status</c>: Show the server version, device and queue size.</summary>
internal static class StatusCommand
{
    public static Command Create(CliOutput output)
    {
        var command = new Command("status", "Show the server version, device and queue size");
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            JsonObject stats = await client.GetSystemStatsAsync(ct).ConfigureAwait(false);
            int remaining = await client.GetQueueRemainingAsync(ct).ConfigureAwait(false);
            output.Line($"version {stats["system"]?["comfyui_version"]}, device {stats["devices"]?[0]?["name"]}, queue {remaining}");
            return 0;
        }));
        return command;
    }
}
