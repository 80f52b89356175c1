using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Batch Processing (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncBatchProcessing : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Images = new("images", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly FloatInput ProcessTimePerItem = new("process_time_per_item") { Default = 0.1, Min = 0.01, Max = 1.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncBatchProcessing", DisplayName = "Test Async Batch Processing", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Images, ProcessTimePerItem], Hidden = [new HiddenInput("unique_id", HiddenKind.UNIQUE_ID)], IsAsync = true,
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var images = inputs.Get(Images);
        long count = images.shape[0];
        var inverted = new List<torch.Tensor>();
        for (long i = 0; i < count; i++)
        {
            await PackSupport.Sleep(inputs.Get(ProcessTimePerItem), context.CancellationToken).ConfigureAwait(false);
            inverted.Add(images[i].RSub(1));
            context.ReportProgress(i + 1, count);
        }
        return NodeOutput.Of(torch.stack(inverted));
    }
}
