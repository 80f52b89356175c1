using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Sampling;

/// <summary>
/// Interrupt between steps (POST /interrupt cancels the prompt's token): once the token is cancelled,
/// every sampler stops before its next model call and surfaces the cancellation.
/// </summary>
public sealed class SamplerInterruptTests
{
    public static TheoryData<string> SamplerNames => [.. SamplerRegistry.Names];

    private static ConditioningValue Cond(float value) => [new ConditioningEntry(full(1, 77, 8, value), new Dictionary<string, object?>())];

    [Theory]
    [MemberData(nameof(SamplerNames))]
    public void Cancelling_at_the_first_step_report_stops_before_the_next_model_call(string sampler)
    {
        using var scope = NewDisposeScope();
        var network = new FakeNetwork();
        var settings = new KSamplerSettings
        {
            Model = new ModelPatcher(network), Seed = 3, Steps = 6, Cfg = 5.0, SamplerName = sampler, Scheduler = "karras",
            Positive = Cond(1f), Negative = Cond(-1f), Latent = new LatentValue(zeros(1, 4, 8, 8)),
        };
        using var interrupt = new CancellationTokenSource();
        int reports = 0;
        int callsAtCancel = -1;

        Assert.ThrowsAny<OperationCanceledException>(() => KSamplerRun.Run(settings, _ =>
        {
            reports++;
            if (callsAtCancel < 0)
            {
                callsAtCancel = network.Calls;
                interrupt.Cancel();
            }
        }, interrupt.Token));

        Assert.Equal(1, reports);
        Assert.True(callsAtCancel >= 1, $"{sampler}: the first report came before any model call");
        Assert.Equal(callsAtCancel, network.Calls);
    }

    [Fact]
    public void An_already_cancelled_token_runs_no_model_call()
    {
        var network = new FakeNetwork();
        var settings = new KSamplerSettings
        {
            Model = new ModelPatcher(network), Seed = 3, Steps = 3, Cfg = 5.0, SamplerName = "euler", Scheduler = "normal",
            Positive = Cond(1f), Negative = Cond(-1f), Latent = new LatentValue(zeros(1, 4, 8, 8)),
        };
        Assert.ThrowsAny<OperationCanceledException>(() => KSamplerRun.Run(settings, null, new CancellationToken(canceled: true)));
        Assert.Equal(0, network.Calls);
    }
}
