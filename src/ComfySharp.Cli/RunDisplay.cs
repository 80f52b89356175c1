using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Client;
using Spectre.Console;

namespace ComfySharp.Cli;

/// <summary>Shows a run's progress: a live Spectre display per node on a terminal, plain lines otherwise.</summary>
internal sealed class RunDisplay(CliOutput output, JsonObject prompt)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProgressTask> _tasks = [];
    private ProgressContext? _live;
    private string? _lastStepLine;

    public async Task<RunResult> RunLiveAsync(Func<Task<RunResult>> run)
    {
        RunResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                _live = context;
                result = await run().ConfigureAwait(false);
                lock (_gate)
                {
                    foreach (ProgressTask task in _tasks.Values)
                    {
                        task.StopTask();
                    }
                }
            }).ConfigureAwait(false);
        return result!;
    }

    public void Handle(ComfyEvent message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case ExecutionStartEvent start:
                    Plain($"started {start.Id}");
                    break;
                case ExecutionCachedEvent { Nodes.Count: > 0 } cached:
                    Plain($"cached {string.Join(", ", cached.Nodes.Select(Describe))}");
                    foreach (string node in cached.Nodes)
                    {
                        Task(node).Value = 100;
                    }
                    break;
                case ExecutingEvent { Node: { } node }:
                    Plain($"{Describe(node)}: running");
                    Task(node).StartTask();
                    break;
                case ProgressEvent { Node: { } node, Max: > 0 } progress:
                    string line = $"{Describe(node)}: step {progress.Value.ToString(CultureInfo.InvariantCulture)}/{progress.Max.ToString(CultureInfo.InvariantCulture)}";
                    if (line != _lastStepLine)
                    {
                        Plain(line);
                        _lastStepLine = line;
                    }
                    Task(node).Value = 100 * progress.Value / progress.Max;
                    break;
                case ExecutedEvent executed:
                    int files = executed.Output is null ? 0 : ComfyOutputs.Files(new JsonObject { ["n"] = executed.Output.DeepClone() }).Count;
                    Plain($"{Describe(executed.Node)}: output{(files > 0 ? $" ({files} file(s))" : "")}");
                    break;
                case ProgressStateEvent state:
                    foreach ((string id, JsonNode? node) in state.Nodes)
                    {
                        if (node?["state"]?.GetValue<string>() == "finished" && _live is not null)
                        {
                            Task(id).Value = 100;
                        }
                    }
                    break;
                case ExecutionErrorEvent error:
                    Plain($"{Describe(error.NodeId ?? "?")}: error {error.ExceptionType}: {error.ExceptionMessage.TrimEnd()}");
                    break;
                case ExecutionInterruptedEvent interrupted:
                    Plain($"interrupted at {Describe(interrupted.NodeId ?? "?")}");
                    break;
                case TextEvent text:
                    Plain($"{Describe(text.NodeId)}: {text.Text}");
                    break;
                default:
                    break;
            }
        }
    }

    private void Plain(string line)
    {
        if (_live is null)
        {
            output.Line(line);
        }
    }

    private ProgressTask Task(string node)
    {
        if (_live is null)
        {
            // Plain mode keeps no tasks; a detached one absorbs the updates.
            return new ProgressTask(0, Describe(node), 100, autoStart: false);
        }
        if (!_tasks.TryGetValue(node, out ProgressTask? task))
        {
            task = _live.AddTask(Markup.Escape(Describe(node)), autoStart: false);
            _tasks[node] = task;
        }
        return task;
    }

    private string Describe(string node)
    {
        string root = node.Split('.')[0];
        string? classType = prompt[root]?["class_type"]?.GetValue<string>();
        return classType is null ? $"[{node}]" : $"[{node}] {classType}";
    }
}
