using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>To Bool (TESTPACK.md §6).</summary>
public sealed class TestToBoolNode : ComfyNode
{
    internal static readonly AnyInput Value = new("value") { OneElementSpec = true };
    internal static readonly BooleanInput Invert = new("invert") { Default = false };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestToBoolNode", DisplayName = "To Bool", Category = "Testing/Logic", PythonModule = PackSupport.Module,
        Required = [Value], Optional = [Invert],
        Outputs = [new OutputSpec(IOTypes.BOOLEAN)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        object? value = inputs.Raw.GetValueOrDefault("value");
        bool result = value is torch.Tensor t ? !(t.min().item<float>() == 0 && t.max().item<float>() == 0) : PackSupport.Truthy(value);
        if (inputs.GetOrDefault(Invert, false)) { result = !result; }
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
