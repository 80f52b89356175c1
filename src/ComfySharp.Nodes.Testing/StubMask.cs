using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>A MASK filled with one value (TESTPACK.md §6.1).</summary>
public sealed class StubMask : ComfyNode
{
    internal static readonly FloatInput Value = new("value") { Default = 0.5, Min = 0.0, Max = 1.0, Step = 0.01 };
    internal static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 1073741824, Step = 1 };
    internal static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 68719476736, Step = 1 };
    internal static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 1073741824, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "StubMask", DisplayName = "Stub Mask", Category = "Testing/Stub Nodes", PythonModule = PackSupport.Module,
        Required = [Value, Height, Width, BatchSize],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var mask = torch.ones([inputs.Get(BatchSize), inputs.Get(Height), inputs.Get(Width)], torch.float32).Mul((float)inputs.Get(Value));
        return ValueTask.FromResult(NodeOutput.Of(mask));
    }
}
