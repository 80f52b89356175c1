using System.CommandLine;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp events [--prompt-id ID]</c>: Print the server's Server-Sent Events stream (ComfySharp servers).</summary>
internal static class EventsCommand
{
    public static Command Create(CliOutput output)
    {
        var promptId = new Option<string?>("--prompt-id") { Description = "Only the events of this prompt" };
        var until = new Option<bool>("--until-done") { Description = "Stop after the prompt's execution_success, execution_error or execution_interrupted (with --prompt-id)" };
        var command = new Command("events", "Print the /api/events stream (one line per message: type, prompt, JSON data)") { promptId, until };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            string? id = parse.GetValue(promptId);
            bool stop = parse.GetValue(until) && id is not null;
            await foreach (ComfyEvent message in client.StreamServerSentEventsAsync(id, ct).ConfigureAwait(false))
            {
                output.Line($"{message.Type} {message.PromptId ?? "-"} {Data(message)}");
                if (stop && message is ExecutionSuccessEvent or ExecutionErrorEvent or ExecutionInterruptedEvent)
                {
                    return message is ExecutionSuccessEvent ? 0 : CliApp.ExitFailed;
                }
            }
            return 0;
        }));
        return command;
    }

    private static string Data(ComfyEvent message) => message switch
    {
        ExecutionStartEvent e => e.Data.ToJsonString(),
        ExecutingEvent e => e.Data.ToJsonString(),
        ExecutedEvent e => e.Data.ToJsonString(),
        ExecutionSuccessEvent e => e.Data.ToJsonString(),
        ExecutionErrorEvent e => e.Data.ToJsonString(),
        ExecutionInterruptedEvent e => e.Data.ToJsonString(),
        ExecutionCachedEvent e => e.Data.ToJsonString(),
        ProgressEvent e => e.Data.ToJsonString(),
        ProgressStateEvent e => e.Data.ToJsonString(),
        StatusEvent e => e.Data.ToJsonString(),
        UnknownEvent e => e.Data.ToJsonString(),
        _ => "",
    };
}
