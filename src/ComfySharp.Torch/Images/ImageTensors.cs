using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Torch.Images;

/// <summary>
/// Conversions between IMAGE/MASK tensors (float32, 0..1) and 8-bit pixels (FILES.md §3.1): to bytes
/// by <c>uint8(clip(255 · x, 0, 255))</c> — truncation, so 0.5 becomes 127 — and from bytes by
/// <c>v / 255</c> in float32.
/// </summary>
public static class ImageTensors
{
    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(v => v / 255f).ToArray();

    /// <summary>One image [H, W, C] (C = 1..4) as 8-bit pixels.</summary>
    public static PixelBuffer ToPixels(Tensor image) => ToPixels(image, reuse: null);

    /// <summary>
    /// As <see cref="ToPixels(Tensor)"/>, writing into <paramref name="reuse"/> when it has the image's
    /// size and channels (and the image is a float CPU tensor); otherwise into a new buffer.
    /// </summary>
    public static PixelBuffer ToPixels(Tensor image, PixelBuffer? reuse)
    {
        ArgumentNullException.ThrowIfNull(image);
        // Each shape read is a native call that allocates its array: read it once.
        long[] shape = image.shape;
        if (shape.Length != 3 || shape[2] is < 1 or > 4)
        {
            throw new ArgumentException($"Expected one image [H, W, C] with 1 to 4 channels, got [{string.Join(", ", shape)}].", nameof(image));
        }
        var (width, height, channels) = ((int)shape[1], (int)shape[0], (int)shape[2]);
        if (image.dtype == ScalarType.Float32 && image.device_type == DeviceType.CPU && image.is_contiguous())
        {
            // The common case (a float image on the CPU): one copy and a managed loop instead of five
            // tensor operations. Same arithmetic as the tensor path: float32 × 255, clamp, truncate.
            ReadOnlySpan<float> values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(image.bytes);
            PixelBuffer result = reuse is not null && reuse.Width == width && reuse.Height == height && reuse.Channels == channels && reuse.Pixels.Length == values.Length
                ? reuse
                : new PixelBuffer(width, height, channels, new byte[values.Length]);
            UnitToBytes(values, result.Pixels);
            // The span points into the tensor's native memory: the tensor must outlive the loop.
            GC.KeepAlive(image);
            return result;
        }
        using var scope = NewDisposeScope();
        // Explicit Scalars kept alive to the end: TorchSharp lets an implicitly converted one be
        // finalized while libtorch still reads it.
        using Scalar scale = 255.0.ToScalar(), low = 0.0.ToScalar(), high = 255.0.ToScalar();
        using Tensor bytes = image.detach().to(ScalarType.Float32).cpu().mul(scale).clamp(low, high).to(ScalarType.Byte).contiguous();
        return new PixelBuffer(width, height, channels, bytes.data<byte>().ToArray());
    }

    /// <summary>
    /// <c>(byte)clamp(v × 255, 0, 255)</c> for each value (truncating; NaN gives 0), 32 values at a time
    /// where the CPU has 256-bit vectors.
    /// </summary>
    public static void UnitToBytes(ReadOnlySpan<float> values, Span<byte> destination)
    {
        if (destination.Length < values.Length)
        {
            throw new ArgumentException("The destination is shorter than the values.", nameof(destination));
        }
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> scale = Vector256.Create(255f), top = Vector256.Create(255f);
            for (; i + 32 <= values.Length; i += 32)
            {
                Vector256<int> a = Scaled(Vector256.Create(values[i..]), scale, top);
                Vector256<int> b = Scaled(Vector256.Create(values[(i + 8)..]), scale, top);
                Vector256<int> c = Scaled(Vector256.Create(values[(i + 16)..]), scale, top);
                Vector256<int> d = Scaled(Vector256.Create(values[(i + 24)..]), scale, top);
                Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).AsByte().CopyTo(destination[i..]);
            }
        }
        for (; i < values.Length; i++)
        {
            float v = values[i] * 255f;
            destination[i] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(v, 0f, 255f);
        }
    }

    // NaN lanes become 0 (a NaN compares unequal to itself); the rest are clamped and truncated.
    private static Vector256<int> Scaled(Vector256<float> v, Vector256<float> scale, Vector256<float> top)
    {
        Vector256<float> scaled = v * scale;
        scaled = Vector256.ConditionalSelect(Vector256.Equals(scaled, scaled), scaled, Vector256<float>.Zero);
        scaled = Vector256.Min(Vector256.Max(scaled, Vector256<float>.Zero), top);
        return Vector256.ConvertToInt32(scaled);
    }

    /// <summary>8-bit pixels as a float32 tensor [1, H, W, C] in 0..1.</summary>
    public static Tensor FromPixels(PixelBuffer pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        float[] values = new float[pixels.Pixels.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ByteToUnit[pixels.Pixels[i]];
        }
        return tensor(values, [1L, pixels.Height, pixels.Width, pixels.Channels]);
    }

    /// <summary>Reads a float32 tensor's values (any shape) into a flat array in row-major order.</summary>
    public static float[] ToArray(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var scope = NewDisposeScope();
        return values.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    /// <summary>Describes a tensor's shape for error messages, e.g. <c>[1, 64, 64, 3]</c>.</summary>
    public static string ShapeText(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "[" + string.Join(", ", value.shape) + "]";
    }

    /// <summary>
    /// Repeats or truncates along dimension 0 to <paramref name="batchSize"/> items (the reference's
    /// <c>repeat_to_batch_size</c>).
    /// </summary>
    public static Tensor RepeatToBatchSize(Tensor value, long batchSize)
    {
        ArgumentNullException.ThrowIfNull(value);
        long current = value.shape[0];
        if (current > batchSize)
        {
            return value.narrow(0, 0, batchSize);
        }
        if (current < batchSize)
        {
            long[] repeats = Enumerable.Repeat(1L, (int)value.dim()).ToArray();
            repeats[0] = (batchSize + current - 1) / current;
            return value.repeat(repeats).narrow(0, 0, batchSize);
        }
        return value;
    }

    /// <summary>Ensures the tensor is a float IMAGE [B, H, W, C].</summary>
    public static void RequireImage(Tensor image, string what = "image")
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 4)
        {
            throw new ArgumentException($"{what} must be an IMAGE tensor [B, H, W, C], got shape {ShapeText(image)}.");
        }
    }

    /// <summary>A MASK as [B, H, W] (a single [H, W] mask gets a batch dimension).</summary>
    public static Tensor AsMaskBatch(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dim() < 2)
        {
            throw new ArgumentException($"A MASK needs at least 2 dimensions, got shape {ShapeText(mask)}.");
        }
        return mask.reshape(-1, mask.shape[^2], mask.shape[^1]);
    }
}
