using System.CommandLine;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp history</c>: List finished prompts.</summary>
internal static class HistoryCommand
{
    public static Command Create(CliOutput output)
    {
        var max = new Option<int?>("--max", "-n") { Description = "Only the last N entries" };
        var clear = new Option<bool>("--clear") { Description = "Delete all history" };
        var id = new Argument<string?>("prompt-id") { Description = "Show one prompt's outputs", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("history", "List finished prompts") { max, clear, id };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            if (parse.GetValue(clear))
            {
                await client.ClearHistoryAsync(ct).ConfigureAwait(false);
                output.Line("history cleared");
                return 0;
            }
            if (parse.GetValue(id) is { } promptId)
            {
                HistoryEntry entry = await client.GetHistoryAsync(promptId, ct).ConfigureAwait(false)
                    ?? throw new CliInputException($"no history entry '{promptId}'");
                output.Line($"{entry.PromptId}  {entry.StatusString}");
                foreach (ImageRef file in entry.Files)
                {
                    output.Line($"  {file.Type}/{(file.Subfolder.Length > 0 ? file.Subfolder + "/" : "")}{file.Filename}");
                }
                return 0;
            }
            foreach (HistoryEntry entry in await client.GetHistoryAsync(parse.GetValue(max), null, ct).ConfigureAwait(false))
            {
                output.Line($"{entry.PromptId}  {entry.StatusString,-7}  {entry.Files.Count} file(s)");
            }
            return 0;
        }));
        return command;
    }
}
