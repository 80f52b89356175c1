using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Docs;

/// <summary>The worked example of docs/adding-a-sampler.md: Euler's method on the probability-flow ODE.</summary>
public static class EulerExampleSampler
{
    /// <summary>One Euler step per σ interval: x ← x + (σ_next − σ)·(x − x₀)/σ.</summary>
    public static Tensor Sample(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            // One scope per step: the step's temporaries are freed, the new x moves out.
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            Tensor slope = (x - denoised).Div(sigmas[i]);
            x = x.Add(slope.Mul(sigmas[i + 1] - sigmas[i])).MoveToOuterDisposeScope();
        }
        return x;
    }
}
