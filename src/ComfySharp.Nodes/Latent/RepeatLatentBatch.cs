using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Repeats the latent batch <c>amount</c> times (a batched noise mask too); existing batch indices are offset per copy.</summary>
public sealed class RepeatLatentBatch : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Number of copies.</summary>
    public static readonly IntInput Amount = new("amount") { Default = 1, Min = 1, Max = 64 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "RepeatLatentBatch",
        DisplayName = "Repeat Latent Batch",
        Category = "latent/batch",
        Required = [Samples, Amount],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        long amount = inputs.Get(Amount);
        Tensor samples = latent.Samples;
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "RepeatLatentBatch", [amount, .. samples.shape]);
        long[] repeats = Enumerable.Repeat(1L, (int)samples.dim()).ToArray();
        repeats[0] = amount;
        Tensor repeated = samples.repeat(repeats);
        Tensor? mask = latent.NoiseMask;
        if (mask is not null && mask.shape[0] > 1)
        {
            // The reference repeats the mask as given (a shorter mask batch is not first stretched to the latent batch).
            long[] maskRepeats = Enumerable.Repeat(1L, (int)mask.dim()).ToArray();
            maskRepeats[0] = amount;
            mask = mask.repeat(maskRepeats);
        }
        IReadOnlyList<long>? indices = latent.BatchIndex;
        if (indices is { Count: > 0 })
        {
            long offset = indices.Max() - indices.Min() + 1;
            var extended = new List<long>(indices);
            for (long i = 1; i < amount; i++)
            {
                extended.AddRange(indices.Select(x => x + (i * offset)));
            }
            indices = extended;
        }
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = repeated, NoiseMask = mask, BatchIndex = indices }));
    }
}
