using System.CommandLine;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp cancel PROMPT_ID</c>: Interrupt a running prompt or remove a pending one (ComfySharp servers).</summary>
internal static class CancelCommand
{
    public static Command Create(CliOutput output)
    {
        var id = new Argument<string>("prompt-id") { Description = "The prompt to cancel" };
        var command = new Command("cancel", "Interrupt a running prompt or remove a pending one, by id") { id };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            string promptId = parse.GetValue(id)!;
            CancelPromptResult result = await client.CancelPromptAsync(promptId, ct).ConfigureAwait(false);
            if (!result.Found)
            {
                output.Error($"prompt {promptId} is neither running nor pending");
                return 1;
            }
            foreach (CancelledPrompt cancelled in result.Cancelled)
            {
                output.Line($"cancelled {cancelled.PromptId} ({cancelled.State})");
            }
            return 0;
        }));
        return command;
    }
}
