using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Torch.Models;

/// <summary>Which device models run on.</summary>
public enum DevicePreference
{
    /// <summary>CUDA when libtorch sees a GPU, else the CPU.</summary>
    Auto,
    /// <summary>Always the CPU (the reference's <c>--cpu</c>).</summary>
    Cpu,
    /// <summary>The first CUDA device; fails when there is none.</summary>
    Cuda,
}

/// <summary>
/// Device and precision policy for loaded models (the reference's <c>--cpu</c>, <c>--bf16-unet</c>,
/// <c>--fp32-unet</c>, <c>--fp16-vae</c>... flags map here). Null dtypes pick the defaults: float32 on
/// the CPU (float16 compute is unusably slow there), float16 UNet and float32 VAE on CUDA.
/// </summary>
public sealed record ComputeOptions
{
    /// <summary>Device choice.</summary>
    public DevicePreference Device { get; init; } = DevicePreference.Auto;

    /// <summary>UNet compute dtype override.</summary>
    public ScalarType? UNetDtype { get; init; }

    /// <summary>VAE compute dtype override.</summary>
    public ScalarType? VaeDtype { get; init; }

    /// <summary>Text encoder compute dtype override.</summary>
    public ScalarType? TextEncoderDtype { get; init; }

    /// <summary>
    /// Bytes of model weights kept loaded at once (least recently used models are released beyond it);
    /// null = 60% of physical memory.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>True when models run on a CUDA device under these options.</summary>
    public bool UsesCuda => Device switch
    {
        DevicePreference.Cpu => false,
        DevicePreference.Cuda => true,
        _ => torch.cuda.is_available(),
    };

    /// <summary>The device models are moved to after loading.</summary>
    public Device ResolveDevice()
    {
        if (!UsesCuda)
        {
            return CPU;
        }
        if (!torch.cuda.is_available())
        {
            throw new InvalidOperationException("A CUDA device was requested but libtorch sees none.");
        }
        // TF32 matmuls/convolutions change float32 results by ~1e-3, beyond the conformance tolerances.
        torch.backends.cuda.matmul.allow_tf32 = false;
        torch.backends.cudnn.allow_tf32 = false;
        return CUDA;
    }

    /// <summary>The UNet's compute dtype.</summary>
    public ScalarType ResolveUNetDtype() => UNetDtype ?? (UsesCuda ? ScalarType.Float16 : ScalarType.Float32);

    /// <summary>The VAE's compute dtype.</summary>
    public ScalarType ResolveVaeDtype() => VaeDtype ?? ScalarType.Float32;

    /// <summary>The text encoder's compute dtype.</summary>
    public ScalarType ResolveTextEncoderDtype() => TextEncoderDtype ?? ScalarType.Float32;
}
