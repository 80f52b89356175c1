using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Blocks its output when asked to, optionally with a message (TESTPACK.md §6.4).</summary>
public sealed class TestExecutionBlocker : ComfyNode
{
    internal static readonly AnyInput Input = new("input") { OneElementSpec = true };
    internal static readonly BooleanInput Block = new("block") { OneElementSpec = true };
    internal static readonly BooleanInput Verbose = new("verbose") { Default = false };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestExecutionBlocker", DisplayName = "Execution Blocker", Category = "Testing/Flow", PythonModule = PackSupport.Module,
        Required = [Input, Block, Verbose],
        Outputs = [new OutputSpec(IOTypes.Any, "output")],
        Validation = PackSupport.VariantSignature,
        VariantOutputTypes = true,
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services) =>
        ValueTask.FromResult(PackSupport.VariantCheck(Definition, inputTypes));

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (PackSupport.Truthy(inputs.Raw.GetValueOrDefault("block")))
        {
            string? message = PackSupport.Truthy(inputs.Raw.GetValueOrDefault("verbose")) ? "Blocked Execution" : null;
            return ValueTask.FromResult(NodeOutput.Blocked(new ExecutionBlocker(message)));
        }
        return ValueTask.FromResult(NodeOutput.Of(inputs.Raw.GetValueOrDefault("input")));
    }
}
