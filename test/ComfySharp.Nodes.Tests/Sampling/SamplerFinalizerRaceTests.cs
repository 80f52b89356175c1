using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Sampling;

/// <summary>
/// The samplers do most of the server's tensor-number arithmetic. TorchSharp frees a Scalar only in its
/// finalizer and its operators do not keep it reachable during the native call, so a collection forced
/// by another thread used to be able to free a step's coefficient while libtorch read it (a segfault, or
/// a silently wrong step). With every Scalar explicit (ScalarMath), sampling under constant collections
/// must finish and give exactly the result of a quiet run.
/// </summary>
public sealed class SamplerFinalizerRaceTests
{
    private static readonly string[] Samplers = ["dpmpp_2m", "euler_ancestral", "dpmpp_sde", "uni_pc"];

    private static ConditioningValue Cond(float value) =>
        [new ConditioningEntry(full(1, 77, 8, value), new Dictionary<string, object?>())];

    private static Tensor Sample(ModelPatcher model, string sampler, ConditioningValue positive, ConditioningValue negative)
    {
        var settings = new KSamplerSettings
        {
            Model = model,
            Seed = 7,
            Steps = 8,
            Cfg = 6.0,
            SamplerName = sampler,
            Scheduler = "karras",
            Positive = positive,
            Negative = negative,
            Latent = new LatentValue(zeros(1, 4, 16, 16)),
        };
        return KSamplerRun.Run(settings, cancellationToken: TestContext.Current.CancellationToken).Samples;
    }

    [Fact]
    public void Samplers_give_identical_finite_results_while_another_thread_forces_collections()
    {
        using var network = new FakeNetwork();
        var model = new ModelPatcher(network);
        ConditioningValue positive = Cond(1f), negative = Cond(-1f);
        var quiet = Samplers.ToDictionary(s => s, s => Sample(model, s, positive, negative));
        foreach (var (name, result) in quiet)
        {
            Assert.True(isfinite(result).all().item<bool>(), $"{name}: quiet run not finite");
        }

        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            for (int round = 0; round < 12; round++)
            {
                foreach (string sampler in Samplers)
                {
                    Tensor result = Sample(model, sampler, positive, negative);
                    Assert.True(result.shape.SequenceEqual(quiet[sampler].shape) && result.eq(quiet[sampler]).all().item<bool>(), $"{sampler}, round {round}: result differs from the quiet run");
                }
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        Assert.True(Interlocked.Read(ref collections) > 0);
    }
}
