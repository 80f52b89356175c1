using System.CommandLine;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp interrupt</c>: Interrupt the running prompt.</summary>
internal static class InterruptCommand
{
    public static Command Create(CliOutput output)
    {
        var id = new Argument<string?>("prompt-id") { Description = "Interrupt only if this prompt is running", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("interrupt", "Interrupt the running prompt") { id };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            await client.InterruptAsync(parse.GetValue(id), ct).ConfigureAwait(false);
            output.Line("interrupt sent");
            return 0;
        }));
        return command;
    }
}
