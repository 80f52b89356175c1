using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Benchmarks.Diffusion;

/// <summary>
/// The three kinds of work that dominate an SD1.5 sampling step at a 64×64 latent with cfg (batch 2),
/// each at the UNet's largest resolution, in float32 and bfloat16: a 3×3 convolution of 320 channels,
/// a GEGLU projection (4096 tokens, 320 → 2560) and self-attention over 4096 tokens (8 heads of 40).
/// Shows which one makes bfloat16 slow or fast on this CPU. Run:
/// dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*OpDtypeBenchmarks*' --inProcess --job short
/// </summary>
[MemoryDiagnoser]
public class OpDtypeBenchmarks
{
    private Tensor? _image;
    private Tensor? _convWeight;
    private Tensor? _tokens;
    private Tensor? _projWeight;
    private Tensor? _q;
    private Tensor? _k;
    private Tensor? _v;

    /// <summary>Compute dtype.</summary>
    [Params(ScalarType.Float32, ScalarType.BFloat16)]
    public ScalarType DType { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        _image = randn(2, 320, 64, 64).to_type(DType).DetachFromDisposeScope();
        _convWeight = (randn(320, 320, 3, 3) * 0.02).to_type(DType).DetachFromDisposeScope();
        _tokens = randn(2, 4096, 320).to_type(DType).DetachFromDisposeScope();
        _projWeight = (randn(2560, 320) * 0.02).to_type(DType).DetachFromDisposeScope();
        _q = randn(2, 8, 4096, 40).to_type(DType).DetachFromDisposeScope();
        _k = randn(2, 8, 4096, 40).to_type(DType).DetachFromDisposeScope();
        _v = randn(2, 8, 4096, 40).to_type(DType).DetachFromDisposeScope();
    }

    [Benchmark]
    public void Conv3x3()
    {
        using var _ = no_grad();
        using Tensor y = F.conv2d(_image!, _convWeight!, padding: [1, 1]);
    }

    [Benchmark]
    public void Linear()
    {
        using var _ = no_grad();
        using Tensor y = F.linear(_tokens!, _projWeight!);
    }

    [Benchmark]
    public void SelfAttention()
    {
        using var _ = no_grad();
        using Tensor y = F.scaled_dot_product_attention(_q!, _k!, _v!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (Tensor? t in new[] { _image, _convWeight, _tokens, _projWeight, _q, _k, _v })
        {
            t?.Dispose();
        }
    }
}
