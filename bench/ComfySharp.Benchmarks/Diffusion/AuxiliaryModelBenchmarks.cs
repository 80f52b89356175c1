using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Diffusion.Upscale;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Benchmarks.Diffusion;

/// <summary>
/// The auxiliary models at their published sizes with random weights (same shapes, same cost):
/// 4× ESRGAN (RRDBNet, 23 blocks, 64 features) on one 512×512 image, and one ControlNet evaluation of an
/// SD1.5 ControlNet for one sampling step at 512×512 (cond + uncond batch of 2, 64×64 latent, 512×512 hint).
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*AuxiliaryModelBenchmarks*' --inProcess
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class AuxiliaryModelBenchmarks
{
    private RrdbNet _esrgan = null!;
    private ControlNetModel _controlNet = null!;
    private Tensor _image = null!;
    private Tensor _latent = null!;
    private Tensor _hint = null!;
    private Tensor _context = null!;
    private Tensor _timesteps = null!;

    [GlobalSetup]
    public void Setup()
    {
        _esrgan = Randomise(new RrdbNet(new RrdbConfig(3, 3, 64, 32, 23, 2, 1)));
        _controlNet = Randomise(new ControlNetModel(UNetConfig.Sd15, 3));
        var generator = new Generator(1);
        _image = rand([1, 512, 512, 3], generator: generator);
        _latent = randn([2, 4, 64, 64], generator: generator);
        _hint = rand([2, 3, 512, 512], generator: generator);
        _context = randn([2, 77, 768], generator: generator);
        _timesteps = ModelSamplingDiscrete.Epsilon.Timestep(tensor(new[] { 5f, 5f }));
    }

    [Benchmark]
    public float Esrgan4xOn512()
    {
        using var scope = NewDisposeScope();
        return ImageUpscaling.Run(_esrgan, _image)[0, 0, 0, 0].item<float>();
    }

    [Benchmark]
    public float ControlNetStepAt512()
    {
        using var scope = NewDisposeScope();
        return _controlNet.Forward(_latent, _hint, _timesteps, _context).Middle[0, 0, 0, 0].item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _esrgan?.Dispose();
        _controlNet?.Dispose();
        _image?.Dispose();
        _latent?.Dispose();
        _hint?.Dispose();
        _context?.Dispose();
        _timesteps?.Dispose();
    }

    private static T Randomise<T>(T module) where T : nn.Module
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        foreach (var (_, parameter) in module.named_parameters())
        {
            long fanIn = parameter.dim() > 1 ? parameter.shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
            parameter.copy_(randn(parameter.shape, generator: generator).Mul(1.0 / Math.Sqrt(fanIn)));
        }
        return module;
    }
}
