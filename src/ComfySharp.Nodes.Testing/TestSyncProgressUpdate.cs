using System.Diagnostics;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Sync Progress Update Test Node (TESTPACK.md §6.7).</summary>
public sealed class TestSyncProgressUpdate : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly FloatInput SleepSeconds = new("sleep_seconds") { Default = 1.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestSyncProgressUpdate", DisplayName = "Sync Progress Update Test Node", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, SleepSeconds],
        Outputs = [new OutputSpec(IOTypes.Any)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        double seconds = inputs.Get(SleepSeconds);
        var clock = Stopwatch.StartNew();
        while (seconds > 0 && clock.Elapsed.TotalSeconds < seconds)
        {
            context.SetProgress(clock.Elapsed.TotalSeconds / seconds, 1.0);
            Thread.Sleep(10);
        }
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Value)));
    }
}
