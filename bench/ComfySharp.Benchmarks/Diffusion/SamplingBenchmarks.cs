using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Benchmarks.Diffusion;

/// <summary>
/// Seconds per sampling step: KSampler's path (noise, schedule, euler, cfg 8 with cond and uncond in one
/// batch of 2) on the random SD1.5 UNet at a 64×64 latent (512×512 pixels), on the CPU in float32 and
/// bfloat16. Each invocation samples two steps and BenchmarkDotNet divides by two. The process's peak
/// working set is printed after the run (the weights live in native memory, which the memory
/// diagnoser does not see; it reports the managed allocations per step).
/// A step takes tens of seconds here, so the job is fixed (in-process, one warm-up, two measured
/// invocations); run without job flags:
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*SamplingBenchmarks*'
/// </summary>
[Config(typeof(LongCallConfig))]
[MemoryDiagnoser]
public class SamplingBenchmarks
{
    private const int StepsPerInvocation = 2;
    private UNetModel? _unet;
    private ModelPatcher? _model;
    private Conditioning? _positive;
    private Conditioning? _negative;
    private Tensor? _latent;

    /// <summary>Compute dtype of the UNet's weights and activations.</summary>
    [Params(ScalarType.Float32, ScalarType.BFloat16)]
    public ScalarType DType { get; set; }

    /// <summary>Side of the latent (pixels / 8).</summary>
    [Params(64)]
    public int LatentSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ComputeOptions { Device = DevicePreference.Cpu, UNetDtype = DType };
        _unet = CheckpointLoading.LoadDiffusionModel(RandomSd15Checkpoint.EnsureFile(), options);
        _model = new ModelPatcher(_unet);
        manual_seed(0);
        _positive = [new ConditioningEntry(randn(1, 77, 768).DetachFromDisposeScope(), new Dictionary<string, object?>())];
        _negative = [new ConditioningEntry(randn(1, 77, 768).DetachFromDisposeScope(), new Dictionary<string, object?>())];
        _latent = zeros(1, 4, LatentSize, LatentSize).DetachFromDisposeScope();
    }

    [Benchmark(OperationsPerInvoke = StepsPerInvocation)]
    public float EulerCfgStep()
    {
        using var scope = NewDisposeScope();
        LatentValue result = KSamplerRun.Run(new KSamplerSettings
        {
            Model = _model!,
            Seed = 42,
            Steps = StepsPerInvocation,
            Cfg = 8.0,
            SamplerName = "euler",
            Scheduler = "normal",
            Positive = _positive!,
            Negative = _negative!,
            Latent = new LatentValue(_latent!),
        });
        return result.Samples[0, 0, 0, 0].item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set ({DType}): {process.PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB");
        _unet?.Dispose();
        _latent?.Dispose();
        foreach (ConditioningEntry entry in (_positive ?? []).Concat(_negative ?? []))
        {
            entry.Embedding.Dispose();
        }
    }

    /// <summary>In-process (no copy of libtorch to build) with a timeout long enough for slow CPU calls.</summary>
    private sealed class LongCallConfig : ManualConfig
    {
        public LongCallConfig() => AddJob(Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(60), logOutput: true))
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(2));
    }
}
