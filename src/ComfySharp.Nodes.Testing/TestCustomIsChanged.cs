using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Passes an image through; its IS_CHANGED returns NaN when asked to, forcing re-runs (TESTPACK.md §6.2).</summary>
public sealed class TestCustomIsChanged : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly AnyInput ShouldChange = new("should_change", "BOOL") { ExtraOptions = new() { ["default"] = false } };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestCustomIsChanged", DisplayName = "Custom IsChanged", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Image],
        Optional = [ShouldChange],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasFingerprint => true;

    /// <inheritdoc />
    public override ValueTask<object?> FingerprintInputsAsync(NodeInputs constants, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        bool change = PackSupport.Truthy(constants.GetOrDefault(ShouldChange, false));
        return ValueTask.FromResult<object?>(change ? double.NaN : false);
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Image)));
    }
}
