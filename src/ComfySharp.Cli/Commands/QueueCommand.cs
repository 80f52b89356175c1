using System.CommandLine;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp queue</c>: Show (or clear) the queue.</summary>
internal static class QueueCommand
{
    public static Command Create(CliOutput output)
    {
        var clear = new Option<bool>("--clear") { Description = "Drop every pending prompt" };
        var delete = new Option<string[]>("--delete") { Description = "Remove pending prompts by id", AllowMultipleArgumentsPerToken = true };
        var command = new Command("queue", "Show (or clear) the queue") { clear, delete };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            if (parse.GetValue(clear))
            {
                await client.ClearQueueAsync(ct).ConfigureAwait(false);
            }
            if (parse.GetValue(delete) is { Length: > 0 } ids)
            {
                await client.DeleteFromQueueAsync(ids, ct).ConfigureAwait(false);
            }
            QueueState queue = await client.GetQueueAsync(ct).ConfigureAwait(false);
            foreach (QueueItem item in queue.Running)
            {
                output.Line($"running  {item.PromptId}  #{item.Number}  {item.Prompt.Count} nodes");
            }
            foreach (QueueItem item in queue.Pending)
            {
                output.Line($"pending  {item.PromptId}  #{item.Number}  {item.Prompt.Count} nodes");
            }
            output.Line($"{queue.Running.Count} running, {queue.Pending.Count} pending");
            return 0;
        }));
        return command;
    }
}
