using System.Diagnostics;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Sleeps asynchronously while reporting progress every 10 ms (TESTPACK.md §6.3).</summary>
public sealed class TestSleep : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly FloatInput Seconds = new("seconds") { Default = 1.0, Min = 0.0, Max = 9999.0, Step = 0.01, Tooltip = "The amount of seconds to sleep." };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestSleep", DisplayName = "Test Sleep", Category = "_for_testing", PythonModule = PackSupport.Module,
        Required = [Value, Seconds],
        Hidden = [new HiddenInput("unique_id", HiddenKind.UNIQUE_ID)],
        Outputs = [new OutputSpec(IOTypes.Any)],
        IsAsync = true,
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        double seconds = inputs.Get(Seconds);
        var clock = Stopwatch.StartNew();
        double elapsed = 0;
        while (elapsed < seconds)
        {
            elapsed = clock.Elapsed.TotalSeconds;
            context.ReportProgress(Math.Min(elapsed, seconds), seconds);
            await Task.Delay(10, context.CancellationToken).ConfigureAwait(false);
        }
        return NodeOutput.Of(inputs.Get(Value));
    }
}
