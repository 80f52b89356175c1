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
/// Loading the random SDXL checkpoint (6.9 GB fp16 file → 10.3 GB float32 UNet + 0.3 GB VAE + 1.6 GB fp16 text
/// encoders on the CPU). Peak memory is the process's peak working set, printed after the run. Only one SDXL-sized
/// model may be loaded on a 24 GB machine: run it alone.
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*SdxlCheckpointLoadBenchmarks*'
/// </summary>
[Config(typeof(LongCallConfig))]
public class SdxlCheckpointLoadBenchmarks
{
    private string _path = "";

    [GlobalSetup]
    public void Setup() => _path = RandomSdxlCheckpoint.EnsureFile();

    [Benchmark]
    public long LoadCheckpoint()
    {
        var checkpoint = CheckpointLoading.LoadCheckpoint(_path, new ComputeOptions { Device = DevicePreference.Cpu });
        long bytes = checkpoint.WeightBytes;
        checkpoint.UNet?.Dispose();
        checkpoint.Vae?.Dispose();
        checkpoint.Clip?.DisposeEncoders();
        return bytes;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set after loading {Path.GetFileName(_path)}: {process.PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB");
    }

    /// <summary>In-process with a long timeout, one warm-up and two measured calls (SDXL calls take minutes here).</summary>
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

/// <summary>
/// One SDXL UNet evaluation (batch 1, 77 tokens of 2048-wide context, the 2816-wide ADM vector) at a 128×128
/// latent (1024×1024 pixels) and a 64×64 latent (512×512), in float32 and bfloat16.
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*SdxlUNetBenchmarks*'
/// </summary>
[Config(typeof(LongCallConfig))]
public class SdxlUNetBenchmarks
{
    private UNetModel? _unet;
    private Tensor? _x;
    private Tensor? _t;
    private Tensor? _context;
    private Tensor? _y;

    /// <summary>Compute dtype of the weights and activations.</summary>
    [Params(ScalarType.Float32, ScalarType.BFloat16)]
    public ScalarType DType { get; set; }

    /// <summary>Latent side (pixels / 8).</summary>
    [Params(64, 128)]
    public int LatentSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ComputeOptions { Device = DevicePreference.Cpu, UNetDtype = DType };
        _unet = CheckpointLoading.LoadDiffusionModel(RandomSdxlCheckpoint.EnsureFile(), options);
        manual_seed(0);
        _x = randn(1, 4, LatentSize, LatentSize);
        _t = tensor(new float[] { 500 });
        _context = randn(1, 77, 2048);
        _y = randn(1, 2816);
    }

    [Benchmark]
    public float UNetForward()
    {
        using var eps = _unet!.Forward(_x!, _t!, _context!, _y);
        return eps[0, 0, 0, 0].item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _unet?.Dispose();
        _x?.Dispose();
        _t?.Dispose();
        _context?.Dispose();
        _y?.Dispose();
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set: {process.PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB");
    }

    /// <summary>In-process with a long timeout, one warm-up and two measured calls (SDXL calls take minutes here).</summary>
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
