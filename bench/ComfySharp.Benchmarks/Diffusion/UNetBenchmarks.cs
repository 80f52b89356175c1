using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.UNet;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using static TorchSharp.torch;

namespace ComfySharp.Benchmarks.Diffusion;

/// <summary>
/// Loading the random SD1.5 checkpoint (2.1 GB fp16 file → 3.7 GB float32 UNet + VAE + CLIP on the CPU).
/// Peak memory is the process's peak working set, printed after the run (BenchmarkDotNet's memory
/// diagnoser only sees managed allocations, and the weights live in native memory).
/// Run (each call takes seconds, so few iterations): dotnet run -c Release --project bench/ComfySharp.Benchmarks --
/// --filter '*CheckpointLoadBenchmarks*' --inProcess --strategy Monitoring --launchCount 1 --warmupCount 1 --iterationCount 3
/// </summary>
public class CheckpointLoadBenchmarks
{
    private string _path = "";

    [GlobalSetup]
    public void Setup() => _path = RandomSd15Checkpoint.EnsureFile();

    [Benchmark]
    public long LoadCheckpoint()
    {
        var checkpoint = CheckpointLoading.LoadCheckpoint(_path, new ComputeOptions { Device = DevicePreference.Cpu });
        long bytes = checkpoint.WeightBytes;
        checkpoint.UNet?.Dispose();
        checkpoint.Vae?.Dispose();
        checkpoint.Clip?.Encoder.Dispose();
        return bytes;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set after loading {Path.GetFileName(_path)}: {process.PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB");
    }
}

/// <summary>
/// One SD1.5 UNet evaluation at a 64×64 latent (512×512 pixels), batch 1, 77 context tokens, on the
/// CPU in float32 and bfloat16.
/// A call takes tens of seconds here, so the job (in-process, one warm-up, two measured calls) is
/// set by <see cref="LongCallConfig"/>; run without job flags:
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*UNetBenchmarks*'
/// </summary>
[Config(typeof(LongCallConfig))]
public class UNetBenchmarks
{
    private UNetModel? _unet;
    private Tensor? _x;
    private Tensor? _t;
    private Tensor? _context;

    /// <summary>Compute dtype of the weights and activations.</summary>
    [Params(ScalarType.Float32, ScalarType.BFloat16)]
    public ScalarType DType { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ComputeOptions { Device = DevicePreference.Cpu, UNetDtype = DType };
        _unet = CheckpointLoading.LoadDiffusionModel(RandomSd15Checkpoint.EnsureFile(), options);
        manual_seed(0);
        _x = randn(1, 4, 64, 64);
        _t = tensor(new float[] { 500 });
        _context = randn(1, 77, 768);
    }

    [Benchmark]
    public float UNetForward()
    {
        using var eps = _unet!.Forward(_x!, _t!, _context!);
        return eps[0, 0, 0, 0].item<float>();
    }

    /// <summary>In-process (no copy of libtorch to build) with a timeout long enough for slow CPU calls.</summary>
    private sealed class LongCallConfig : ManualConfig
    {
        public LongCallConfig() => AddJob(Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true))
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(2));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _unet?.Dispose();
        _x?.Dispose();
        _t?.Dispose();
        _context?.Dispose();
    }
}
