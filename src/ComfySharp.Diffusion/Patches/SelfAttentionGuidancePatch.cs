using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// Self-attention guidance (Hong et al. 2023): the negative pass records the middle block's first
/// self-attention map; where it attends strongly, the negative prediction is blurred, re-noised and
/// evaluated again, and the guided prediction moves away from that degraded prediction.
/// </summary>
public sealed class SelfAttentionGuidancePatch
{
    private const double Threshold = 1.0;
    private readonly double _scale;
    private readonly double _blurSigma;
    private Tensor? _uncondAttention;

    private SelfAttentionGuidancePatch(double scale, double blurSigma)
    {
        _scale = scale;
        _blurSigma = blurSigma;
    }

    /// <summary>The hooks of a model patched with self-attention guidance.</summary>
    public static ModelOptions Apply(ModelOptions options, double scale, double blurSigma)
    {
        ArgumentNullException.ThrowIfNull(options);
        var patch = new SelfAttentionGuidancePatch(scale, blurSigma);
        return options.WithPostCfg(patch.PostCfg, disableCfg1Optimization: true)
            .WithSelfAttentionReplacement(new AttentionSite(UNetBlock.Middle, 0), patch.AttendAndRecord);
    }

    /// <summary>Attention [B·heads, N, M] weights and merged output for projected q, k, v [B, N, heads·dim].</summary>
    public static (Tensor Output, Tensor Weights) AttentionWithWeights(Tensor q, Tensor k, Tensor v, int heads)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        using var scope = NewDisposeScope();
        long batch = q.shape[0];
        long dim = q.shape[2] / heads;
        Tensor Split(Tensor t) => t.reshape(batch, -1, heads, dim).permute(0, 2, 1, 3).reshape(batch * heads, -1, dim);
        Tensor weights = matmul(Split(q), Split(k).transpose(1, 2)).Mul(Math.Pow(dim, -0.5)).softmax(-1);
        Tensor output = matmul(weights, Split(v)).reshape(batch, heads, -1, dim).permute(0, 2, 1, 3).reshape(batch, -1, heads * dim);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>Blurs <paramref name="x0"/> (9×9 Gaussian) where the mean attention a key receives exceeds the threshold.</summary>
    public static Tensor BlurWhereAttended(Tensor x0, Tensor attention, double sigma)
    {
        ArgumentNullException.ThrowIfNull(x0);
        ArgumentNullException.ThrowIfNull(attention);
        using var scope = NewDisposeScope();
        long queries = attention.shape[1], keys = attention.shape[2];
        long batch = x0.shape[0], height = x0.shape[2], width = x0.shape[3];
        Tensor attended = attention.reshape(batch, -1, queries, keys).mean([1]).sum([1]).Gt(Threshold);
        long ratio = 1L << BitLength((long)Math.Ceiling(Math.Sqrt(height * width / (double)queries)) - 1);
        long midHeight = (height + ratio - 1) / ratio, midWidth = (width + ratio - 1) / ratio;
        Tensor mask = attended.reshape(batch, midHeight, midWidth).unsqueeze(1).to_type(x0.dtype);
        mask = F.interpolate(mask, [height, width], mode: InterpolationMode.Nearest);
        Tensor blurred = GaussianBlur(x0, 9, sigma);
        return (blurred * mask).Add(x0 * mask.RSub(1.0)).MoveToOuterDisposeScope();
    }

    /// <summary>A depthwise Gaussian blur with reflect padding; σ = 0 leaves the image as it is.</summary>
    public static Tensor GaussianBlur(Tensor image, int kernelSize, double sigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (sigma <= 0)
        {
            return image.alias();
        }
        using var scope = NewDisposeScope();
        double half = (kernelSize - 1) * 0.5;
        var weights = new float[kernelSize];
        for (int i = 0; i < kernelSize; i++)
        {
            double offset = -half + i * (2 * half / (kernelSize - 1));
            weights[i] = (float)Math.Exp(-0.5 * Math.Pow(offset / sigma, 2));
        }
        float total = weights.Sum();
        Tensor kernel1d = tensor(weights.Select(w => w / total).ToArray()).to(image.dtype, image.device);
        long channels = image.shape[^3];
        Tensor kernel = outer(kernel1d, kernel1d).expand(channels, 1, kernelSize, kernelSize);
        long pad = kernelSize / 2;
        Tensor padded = F.pad(image, [pad, pad, pad, pad], TorchSharp.PaddingModes.Reflect);
        return F.conv2d(padded, kernel, groups: channels).MoveToOuterDisposeScope();
    }

    private static int BitLength(long value) => value <= 0 ? 0 : (int)(64 - long.LeadingZeroCount(value));

    private Tensor AttendAndRecord(Tensor q, Tensor k, Tensor v, UNetHookContext hooks)
    {
        int uncondIndex = -1;
        for (int i = 0; i < hooks.CondOrUncond.Count; i++)
        {
            if (hooks.CondOrUncond[i] == 1)
            {
                uncondIndex = i;
                break;
            }
        }
        var (output, weights) = AttentionWithWeights(q, k, v, hooks.Heads);
        if (uncondIndex >= 0)
        {
            long slices = hooks.Heads * (q.shape[0] / hooks.CondOrUncond.Count);
            _uncondAttention?.Dispose();
            _uncondAttention = weights.narrow(0, slices * uncondIndex, slices).clone().DetachFromDisposeScope();
        }
        return output;
    }

    private Tensor PostCfg(CfgStep step)
    {
        Tensor denoised = step.Denoised;
        if (Math.Min(denoised.shape[2], denoised.shape[3]) <= 4 || _uncondAttention is null || step.EvaluateUncond is null)
        {
            return denoised;
        }
        Tensor degraded = BlurWhereAttended(step.UncondDenoised, _uncondAttention, _blurSigma);
        Tensor degradedNoised = degraded.Add(step.Input - step.UncondDenoised);
        Tensor sag = step.EvaluateUncond(degradedNoised, step.Options);
        return denoised.Add((degraded - sag).Mul(_scale));
    }
}
