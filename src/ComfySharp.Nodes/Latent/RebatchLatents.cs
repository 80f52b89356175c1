using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Regroups a list of latent batches into batches of <c>batch_size</c>. Items stay in order; a change
/// of spatial size closes the current group early. Each output carries its items' batch indices
/// (given ones, or the running position in the input list) and their noise masks (pixel-sized ones
/// where an input had none), and drops the mask when it is all ones.
/// </summary>
public sealed class RebatchLatents : ComfyNode
{
    /// <summary>The latent batches (the whole list).</summary>
    public static readonly SocketInput<LatentValue> Latents = new("latents", IOTypes.LATENT);
    /// <summary>Items per output batch (the first element of its list is used).</summary>
    public static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 4096 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "RebatchLatents",
        DisplayName = "Rebatch Latents",
        Category = "latent/batch",
        PythonModule = "comfy_extras.nodes_rebatch",
        Flavor = NodeFlavor.Schema,
        InputIsList = true,
        Required = [Latents, BatchSize],
        Outputs = [new OutputSpec(IOTypes.LATENT, IsList: true)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        IReadOnlyList<long> sizes = inputs.GetList(BatchSize);
        long batchSize = sizes.Count > 0 ? sizes[0] : 1;
        if (batchSize < 1)
        {
            throw new NodeException("ValueError", $"RebatchLatents: batch_size must be at least 1, got {batchSize}.");
        }
        var output = new List<object?>();
        using var scope = NewDisposeScope();
        Tensor? runSamples = null, runMask = null;
        var runIndices = new List<long>();
        long processed = 0;
        foreach (LatentValue latent in inputs.GetList(Latents))
        {
            context.ThrowIfInterrupted();
            (Tensor samples, Tensor mask, List<long> indices) = Prepare(latent, processed, context);
            processed += indices.Count;
            if (runSamples is null)
            {
                (runSamples, runMask, runIndices) = (samples, mask, indices);
            }
            else if (samples.shape[^1] != runSamples.shape[^1] || samples.shape[^2] != runSamples.shape[^2])
            {
                Emit(output, runSamples, runMask!, runIndices, 0, runSamples.shape[0]);
                (runSamples, runMask, runIndices) = (samples, mask, indices);
            }
            else
            {
                RequireJoinable(runSamples, samples, "latents");
                RequireJoinable(runMask!, mask, "noise masks");
                runSamples = cat([runSamples, samples], 0);
                runMask = cat([runMask!, mask], 0);
                runIndices.AddRange(indices);
            }
            long count = runSamples.shape[0];
            if (count > batchSize)
            {
                long full = count / batchSize;
                for (long i = 0; i < full; i++)
                {
                    Emit(output, runSamples, runMask!, runIndices, i * batchSize, batchSize);
                }
                long rest = count - (full * batchSize);
                if (rest == 0)
                {
                    (runSamples, runMask, runIndices) = (null, null, []);
                }
                else
                {
                    long from = full * batchSize;
                    runIndices = runIndices.GetRange((int)from, (int)rest);
                    (runSamples, runMask) = (runSamples.narrow(0, from, rest), runMask!.narrow(0, from, rest));
                }
            }
        }
        if (runSamples is not null)
        {
            Emit(output, runSamples, runMask!, runIndices, 0, runSamples.shape[0]);
        }
        return ValueTask.FromResult(NodeOutput.Of(output));
    }

    /// <summary>One input's samples, a mask with one item per sample, and its batch indices.</summary>
    private static (Tensor Samples, Tensor Mask, List<long> Indices) Prepare(LatentValue latent, long processed, NodeContext context)
    {
        Tensor samples = latent.Samples;
        if (samples.dim() != 4 || samples.shape[0] == 0)
        {
            throw new NodeException("ValueError", $"RebatchLatents needs non-empty 4-D latents [B, C, H, W]; got {ImageTensors.ShapeText(samples)}.");
        }
        long batch = samples.shape[0];
        Tensor mask;
        if (latent.NoiseMask is { } given)
        {
            mask = given.dim() == 4 ? given : given.reshape(-1, 1, given.shape[^2], given.shape[^1]);
            if (mask.shape[0] == 0)
            {
                throw new NodeException("ValueError", "RebatchLatents: a latent has an empty noise mask.");
            }
            if (mask.shape[0] < batch)
            {
                mask = mask.repeat(((batch - 1) / mask.shape[0]) + 1, 1, 1, 1);
            }
            // Extra mask items have no sample to go with; keeping them would shift later masks.
            mask = mask.narrow(0, 0, batch);
        }
        else
        {
            SizeLimits.EnsureAllocatable(context.Services, "RebatchLatents", batch, 1, samples.shape[2] * 8, samples.shape[3] * 8);
            mask = ones(batch, 1, samples.shape[2] * 8, samples.shape[3] * 8);
        }
        List<long> indices;
        if (latent.BatchIndex is { } batchIndex)
        {
            if (batchIndex.Count != batch)
            {
                throw new NodeException("ValueError", $"RebatchLatents: a latent has {batch} items but {batchIndex.Count} batch indices.");
            }
            indices = [.. batchIndex];
        }
        else
        {
            indices = [.. Enumerable.Range(0, (int)batch).Select(i => processed + i)];
        }
        return (samples, mask, indices);
    }

    private static void RequireJoinable(Tensor run, Tensor next, string what)
    {
        if (run.dim() != next.dim() || !run.shape.AsSpan(1).SequenceEqual(next.shape.AsSpan(1)))
        {
            throw new NodeException("ValueError",
                $"RebatchLatents cannot put {what} of shapes {ImageTensors.ShapeText(run)} and {ImageTensors.ShapeText(next)} into one batch.");
        }
    }

    private static void Emit(List<object?> output, Tensor samples, Tensor mask, List<long> indices, long start, long length)
    {
        Tensor part = samples.narrow(0, start, length).contiguous();
        Tensor maskPart = mask.narrow(0, start, length).contiguous();
        bool allOnes = maskPart.to_type(ScalarType.Float32).mean().item<float>() == 1.0f;
        output.Add(new LatentValue(part.MoveToOuterDisposeScope())
        {
            NoiseMask = allOnes ? null : maskPart.MoveToOuterDisposeScope(),
            BatchIndex = indices.GetRange((int)start, (int)length),
        });
    }
}
