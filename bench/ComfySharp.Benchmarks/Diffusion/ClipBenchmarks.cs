using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using ComfySharp.Diffusion.Clip;
using ComfySharp.TestKit;
using static TorchSharp.torch;

namespace ComfySharp.Benchmarks.Diffusion;

/// <summary>
/// CLIP-L text side on the CPU with the random SD1.5 weights (same shapes and cost as a real checkpoint).
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*ClipBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class ClipBenchmarks
{
    private const string Positive = "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,";
    private const string Weighted = "(red:1.3) cat, ((blue)) sky, [dog], (a (b:1.5) c:0.8)";
    private const string Long = "A highly detailed digital painting of an ancient castle on a cliff above a stormy sea, dramatic lighting, volumetric clouds, crashing waves, seagulls flying, moss covered stone walls, tall towers with red banners, a winding path leading to the gate, lanterns glowing in the windows, cinematic composition, wide angle, golden hour, trending on artstation, sharp focus, intricate details, 8k resolution, masterpiece, by a famous fantasy illustrator";

    private ClipModel _clip = null!;
    private TokenizedPrompt _positive = null!;
    private TokenizedPrompt _weighted = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var scope = NewDisposeScope();
        _clip = ClipModel.FromWeights(RandomSd15Checkpoint.CreateTensors(Sd15KeyLayout.ClipPrefix));
        _positive = _clip.Tokenize(Positive);
        _weighted = _clip.Tokenize(Weighted);
    }

    [Benchmark]
    public int TokenizeLongPrompt() => _clip.Tokenizer.Tokenize(Long).Chunks.Count;

    [Benchmark]
    public float EncodeOneChunk()
    {
        using var scope = NewDisposeScope();
        return _clip.EncodeTokens(_positive).Cond[0, 0, 0].item<float>();
    }

    [Benchmark]
    public float EncodeWeightedPrompt()
    {
        using var scope = NewDisposeScope();
        return _clip.EncodeTokens(_weighted).Cond[0, 0, 0].item<float>();
    }
}

/// <summary>
/// Writing the 2.1 GB random SD1.5 checkpoint (parallel generation, positional writes), once.
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*CheckpointGeneration*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class CheckpointGenerationBenchmarks
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"bench-random-sd15-{Environment.ProcessId}.safetensors");

    [Benchmark]
    public long WriteRandomSd15Checkpoint()
    {
        RandomSd15Checkpoint.Write(_path);
        return new FileInfo(_path).Length;
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);
}
