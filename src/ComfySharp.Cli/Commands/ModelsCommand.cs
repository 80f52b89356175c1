using System.CommandLine;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp models</c>: List model folders or the models of one folder.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliOutput output)
    {
        var folder = new Argument<string?>("folder") { Description = "A model folder (checkpoints, loras, …); lists folders when omitted", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "List model folders or the models of one folder") { folder };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            IReadOnlyList<string> items = parse.GetValue(folder) is { } name
                ? await client.GetModelsAsync(name, ct).ConfigureAwait(false)
                : await client.GetModelFoldersAsync(ct).ConfigureAwait(false);
            foreach (string item in items)
            {
                output.Line(item);
            }
            return 0;
        }));
        return command;
    }
}
