using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Splits a list of image batches into single images and regroups them into batches of <c>batch_size</c> (TESTPACK.md §7).</summary>
public sealed class RebatchImages : ComfyNode
{
    /// <summary>The image batches (the whole list).</summary>
    public static readonly SocketInput<Tensor> Images = new("images", IOTypes.IMAGE);
    /// <summary>Images per output batch (the first element of its list is used).</summary>
    public static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 4096 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "RebatchImages",
        DisplayName = "Rebatch Images",
        Category = "image/batch",
        PythonModule = "comfy_extras.nodes_rebatch",
        Flavor = NodeFlavor.Schema,
        InputIsList = true,
        Required = [Images, BatchSize],
        Outputs = [new OutputSpec(IOTypes.IMAGE, IsList: true)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        IReadOnlyList<long> sizes = inputs.GetList(BatchSize);
        long batchSize = sizes.Count > 0 ? sizes[0] : 1;
        if (batchSize < 1)
        {
            throw new ArgumentException($"batch_size must be at least 1, got {batchSize}.");
        }
        var singles = new List<Tensor>();
        foreach (Tensor batch in inputs.GetList(Images))
        {
            ImageTensors.RequireImage(batch, "images");
            for (long i = 0; i < batch.shape[0]; i++)
            {
                singles.Add(batch.narrow(0, i, 1));
            }
        }
        var output = new List<object?>();
        for (int start = 0; start < singles.Count; start += (int)Math.Min(batchSize, int.MaxValue))
        {
            var group = singles.GetRange(start, (int)Math.Min(batchSize, singles.Count - start));
            var first = group[0];
            foreach (Tensor t in group)
            {
                if (!t.shape.SequenceEqual(first.shape))
                {
                    throw new ArgumentException(
                        $"RebatchImages: images of different sizes cannot share a batch ({ImageTensors.ShapeText(first)} and {ImageTensors.ShapeText(t)}).");
                }
            }
            output.Add(cat(group, 0));
        }
        foreach (Tensor t in singles)
        {
            t.Dispose();
        }
        return ValueTask.FromResult(NodeOutput.Of(output));
    }
}
