using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>An IMAGE of one colour or noise (TESTPACK.md §6.1).</summary>
public sealed class StubImage : ComfyNode
{
    internal static readonly ComboInput Content = new("content", ["WHITE", "BLACK", "NOISE"]) { OneElementSpec = true };
    internal static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 1073741824, Step = 1 };
    internal static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 68719476736, Step = 1 };
    internal static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 1073741824, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "StubImage", DisplayName = "Stub Image", Category = "Testing/Stub Nodes", PythonModule = PackSupport.Module,
        Required = [Content, Height, Width, BatchSize],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long[] shape = [inputs.Get(BatchSize), inputs.Get(Height), inputs.Get(Width), 3];
        var image = inputs.Get(Content) switch
        {
            "WHITE" => torch.ones(shape, torch.float32),
            "BLACK" => torch.zeros(shape, torch.float32),
            _ => torch.rand(shape, torch.float32),
        };
        return ValueTask.FromResult(NodeOutput.Of(image));
    }
}
