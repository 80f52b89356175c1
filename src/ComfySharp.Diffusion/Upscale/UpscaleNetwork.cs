using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Upscale;

/// <summary>
/// A single-image super-resolution network (the UPSCALE_MODEL value): maps [B, C, H, W] images in
/// 0..1 to [B, C, H·scale, W·scale]. Subclasses name their fields after the checkpoint keys.
/// </summary>
public abstract class UpscaleNetwork : nn.Module
{
    /// <summary>Creates the network.</summary>
    protected UpscaleNetwork(string name) : base(name) { }

    /// <summary>The architecture's name as the reference reports it (e.g. <c>ESRGAN</c>, <c>RealESRGAN Compact</c>).</summary>
    public abstract string Architecture { get; }

    /// <summary>How many times larger the output is than the input.</summary>
    public abstract int Scale { get; }

    /// <summary>Input channels (3 for RGB models).</summary>
    public abstract int InChannels { get; }

    /// <summary>Output channels.</summary>
    public abstract int OutChannels { get; }

    /// <summary>Device the weights live on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Bytes held by the weights.</summary>
    public long WeightBytes => parameters().Sum(p => p.NumberOfElements * p.ElementSize);

    /// <summary>Runs the network on [B, C, H, W] float images on its device.</summary>
    public abstract Tensor Upscale(Tensor images);

    /// <summary>Moves the weights to <paramref name="device"/>.</summary>
    public UpscaleNetwork MoveTo(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.to(device);
        Device = device;
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Architecture} {Scale}x ({InChannels}→{OutChannels} channels)";
}

/// <summary>A file is not an upscale model this server can build; the message names what the keys showed.</summary>
public sealed class UnsupportedUpscaleModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedUpscaleModelException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedUpscaleModelException() { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedUpscaleModelException(string message, Exception innerException) : base(message, innerException) { }
}
