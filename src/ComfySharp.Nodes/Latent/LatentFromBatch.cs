using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Takes <c>length</c> latents starting at <c>batch_index</c>, keeping their original indices for noise generation.</summary>
public sealed class LatentFromBatch : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>First item.</summary>
    public static readonly IntInput BatchIndex = new("batch_index") { Default = 0, Min = 0, Max = 63 };
    /// <summary>Number of items.</summary>
    public static readonly IntInput Length = new("length") { Default = 1, Min = 1, Max = 64 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentFromBatch",
        DisplayName = "Latent From Batch",
        Category = "latent/batch",
        Required = [Samples, BatchIndex, Length],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        Tensor samples = latent.Samples;
        long count = samples.shape[0];
        long start = Math.Min(count - 1, inputs.Get(BatchIndex));
        long length = Math.Min(count - start, inputs.Get(Length));
        using var scope = NewDisposeScope();
        Tensor picked = samples.narrow(0, start, length).clone();
        Tensor? mask = latent.NoiseMask;
        if (mask is not null)
        {
            if (mask.shape[0] == 1)
            {
                mask = mask.clone();
            }
            else
            {
                if (mask.shape[0] < count)
                {
                    long repeats = (count + mask.shape[0] - 1) / mask.shape[0];
                    mask = mask.repeat(repeats, 1, 1, 1).narrow(0, 0, count);
                }
                mask = mask.narrow(0, Math.Min(start, mask.shape[0]), Math.Max(0, Math.Min(length, mask.shape[0] - start))).clone();
            }
            mask = mask.MoveToOuterDisposeScope();
        }
        IReadOnlyList<long> indices = latent.BatchIndex is { } existing
            ? existing.Skip((int)start).Take((int)length).ToList()
            : Enumerable.Range(0, (int)length).Select(i => start + i).ToList();
        var result = latent with { Samples = picked.MoveToOuterDisposeScope(), NoiseMask = mask, BatchIndex = indices };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
