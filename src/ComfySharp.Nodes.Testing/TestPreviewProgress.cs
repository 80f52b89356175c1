using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;

namespace ComfySharp.Nodes.Testing;

/// <summary>
/// Not in the reference pack: sends <c>steps</c> preview frames with its progress, as a sampler does, without a
/// model. Preview k (1-based) is a PNG of <c>size + k</c> × <c>size</c> pixels whose grey level rises with k, so a
/// client can tell which preview it shows. Passes its input through.
/// </summary>
public sealed class TestPreviewProgress : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly IntInput Steps = new("steps") { Default = 4, Min = 1, Max = 100 };
    internal static readonly IntInput Size = new("size") { Default = 32, Min = 1, Max = 512 };
    internal static readonly FloatInput StepSeconds = new("step_seconds") { Default = 0.2, Min = 0.0, Max = 60.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestPreviewProgress", DisplayName = "Test Preview Progress", Category = "_for_testing", PythonModule = PackSupport.Module,
        Required = [Value, Steps, Size, StepSeconds],
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
        long steps = inputs.Get(Steps);
        int size = (int)inputs.Get(Size);
        int delay = (int)(inputs.Get(StepSeconds) * 1000);
        for (long step = 1; step <= steps; step++)
        {
            await Task.Delay(delay, context.CancellationToken).ConfigureAwait(false);
            var image = PixelBuffer.Create(size + (int)step, size, 3);
            Array.Fill(image.Pixels, (byte)(255 * step / steps));
            context.ReportProgress(step, steps, new PreviewImage(PreviewFormat.Png, PngFile.Encode(image, 1)));
        }
        return NodeOutput.Of(inputs.Get(Value));
    }
}
