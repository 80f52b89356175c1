using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Sampling;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Sampling;

/// <summary>
/// Internal consistency of every sampler and scheduler KSampler offers, on the tiny linear network:
/// two steps give finite values, one progress report per step, the same result for the same seed and a
/// different one for another seed (golden 07 pins the numbers of euler, euler_ancestral and dpmpp_2m).
/// </summary>
public sealed class SamplerConsistencyTests
{
    public static TheoryData<string> SamplerNames => [.. SamplerRegistry.Names];

    public static TheoryData<string> SchedulerNames => [.. Schedulers.Names];

    [Theory]
    [MemberData(nameof(SamplerNames))]
    public void Every_sampler_runs_two_steps_finite_and_deterministic_per_seed(string sampler)
    {
        using var scope = NewDisposeScope();
        var model = new ModelPatcher(new FakeNetwork());
        var context = new TestNodeContext();
        Tensor first = Sample(model, sampler, "normal", 42, context);
        Tensor again = Sample(model, sampler, "normal", 42, new TestNodeContext());
        Tensor otherSeed = Sample(model, sampler, "normal", 43, new TestNodeContext());

        Assert.Equal([1, 4, 8, 8], first.shape);
        Assert.True(first.isfinite().all().item<bool>(), $"{sampler}: non-finite values");
        if (sampler is "dpm_fast" or "dpm_adaptive")
        {
            // As in the reference: dpm_fast spends its 2 evaluations on one 2nd-order step; dpm_adaptive reports each
            // accepted step, clamped to the schedule's length.
            Assert.NotEmpty(context.Progress);
            Assert.All(context.Progress, p => Assert.Equal(2.0, p.Max));
            Assert.All(context.Progress, p => Assert.InRange(p.Value, 1.0, 2.0));
            Assert.Equal(context.Progress.Select(p => p.Value).Order(), context.Progress.Select(p => p.Value));
        }
        else
        {
            Assert.Equal([(1.0, 2.0), (2.0, 2.0)], context.Progress.Select(p => (p.Value, p.Max)));
        }
        Assert.True(first.eq(again).all().item<bool>(), $"{sampler}: two runs with seed 42 differ");
        Assert.False(first.allclose(otherSeed), $"{sampler}: seeds 42 and 43 give the same result");
    }

    [Theory]
    [MemberData(nameof(SchedulerNames))]
    public void Every_scheduler_runs_two_steps_finite_and_deterministic_per_seed(string scheduler)
    {
        using var scope = NewDisposeScope();
        var model = new ModelPatcher(new FakeNetwork());
        var context = new TestNodeContext();
        Tensor first = Sample(model, "euler", scheduler, 42, context);
        Tensor again = Sample(model, "euler", scheduler, 42, new TestNodeContext());

        Assert.True(first.isfinite().all().item<bool>(), $"{scheduler}: non-finite values");
        Assert.Equal([(1.0, 2.0), (2.0, 2.0)], context.Progress.Select(p => (p.Value, p.Max)));
        Assert.True(first.eq(again).all().item<bool>(), $"{scheduler}: two runs with seed 42 differ");
    }

    private static Tensor Sample(ModelPatcher model, string sampler, string scheduler, long seed, NodeContext context)
    {
        var values = new Dictionary<string, object?>
        {
            ["model"] = model, ["seed"] = seed, ["steps"] = 2L, ["cfg"] = 8.0, ["sampler_name"] = sampler, ["scheduler"] = scheduler,
            ["positive"] = Cond(1f), ["negative"] = Cond(-1f), ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)), ["denoise"] = 1.0,
        };
        NodeOutput output = new KSampler().ExecuteAsync(new NodeInputs(values), context).AsTask().Result;
        return ((LatentValue)output.Values[0]!).Samples;
    }

    private static ConditioningValue Cond(float value) =>
        [new ConditioningEntry(full(1, 77, 8, value), new Dictionary<string, object?>())];
}
