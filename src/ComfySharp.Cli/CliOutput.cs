using Spectre.Console;

namespace ComfySharp.Cli;

/// <summary>Where the CLI writes.</summary>
internal sealed class CliOutput(TextWriter output, TextWriter error, bool interactive)
{
    private readonly Lock _gate = new();

    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public bool Interactive { get; } = interactive;

    public void Line(string text)
    {
        lock (_gate)
        {
            if (Interactive)
            {
                AnsiConsole.MarkupLine(Markup.Escape(text));
            }
            else
            {
                Out.WriteLine(text);
            }
        }
    }

    public void Error(string text)
    {
        lock (_gate)
        {
            // One line, whatever the exception text held.
            Err.WriteLine("comfysharp: error: " + text.ReplaceLineEndings(" ").Trim());
        }
    }
}
