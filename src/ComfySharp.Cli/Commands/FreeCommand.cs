using System.CommandLine;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp free</c>: Unload models (POST /free).</summary>
internal static class FreeCommand
{
    public static Command Create(CliOutput output)
    {
        var memory = new Option<bool>("--free-memory") { Description = "Also drop cached node outputs" };
        var command = new Command("free", "Unload models (POST /free)") { memory };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            await client.FreeAsync(true, parse.GetValue(memory), ct).ConfigureAwait(false);
            output.Line("free requested");
            return 0;
        }));
        return command;
    }
}
