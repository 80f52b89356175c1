using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Pastes samples_from into samples_to at (x / 8, y / 8), optionally fading in the edges that lie inside the destination.</summary>
public sealed class LatentComposite : ComfyNode
{
    /// <summary>The destination.</summary>
    public static readonly SocketInput<LatentValue> SamplesTo = new("samples_to", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>The pasted latents.</summary>
    public static readonly SocketInput<LatentValue> SamplesFrom = new("samples_from", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Left edge in pixels.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Top edge in pixels.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Fade width in pixels.</summary>
    public static readonly IntInput Feather = new("feather") { Default = 0, Min = 0, Max = 16384, Step = 8 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentComposite",
        DisplayName = "Latent Composite",
        Category = "latent",
        Required = [SamplesTo, SamplesFrom, X, Y, Feather],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue to = inputs.Get(SamplesTo);
        Tensor from = inputs.Get(SamplesFrom).Samples;
        long x = inputs.Get(X) / 8, y = inputs.Get(Y) / 8, feather = inputs.Get(Feather) / 8;
        using var scope = NewDisposeScope();
        Tensor destination = to.Samples.clone();
        long toH = destination.shape[2], toW = destination.shape[3];
        Tensor part = PySlice.Slice(PySlice.Slice(from, 2, null, toH - y), 3, null, toW - x);
        long rows = Math.Min(part.shape[2], Math.Max(0, toH - y));
        long cols = Math.Min(part.shape[3], Math.Max(0, toW - x));
        if (rows > 0 && cols > 0)
        {
            part = part.narrow(2, 0, rows).narrow(3, 0, cols);
            Tensor region = destination.narrow(2, y, rows).narrow(3, x, cols);
            if (part.shape[0] != region.shape[0] && part.shape[0] != 1)
            {
                throw new ArgumentException($"LatentComposite: a batch of {part.shape[0]} cannot be pasted into a batch of {region.shape[0]}.");
            }
            if (feather == 0)
            {
                region.copy_(part);
            }
            else
            {
                Tensor mask = ones_like(part);
                for (long t = 0; t < feather; t++)
                {
                    double factor = 1.0 / feather * (t + 1);
                    if (y != 0)
                    {
                        PySlice.Slice(mask, 2, t, 1 + t).MulInPlace(factor);
                    }
                    if (y + rows < toH)
                    {
                        PySlice.Slice(mask, 2, mask.shape[2] - 1 - t, mask.shape[2] - t).MulInPlace(factor);
                    }
                    if (x != 0)
                    {
                        PySlice.Slice(mask, 3, t, 1 + t).MulInPlace(factor);
                    }
                    if (x + cols < toW)
                    {
                        PySlice.Slice(mask, 3, mask.shape[3] - 1 - t, mask.shape[3] - t).MulInPlace(factor);
                    }
                }
                Tensor inverse = ones_like(mask) - mask;
                region.copy_((part * mask).Add(region * inverse));
            }
        }
        return ValueTask.FromResult(NodeOutput.Of(to with { Samples = destination.MoveToOuterDisposeScope() }));
    }
}
