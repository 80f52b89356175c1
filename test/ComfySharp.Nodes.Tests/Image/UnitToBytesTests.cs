using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>The vectorised float → byte conversion of images against its one-value-at-a-time definition.</summary>
public sealed class UnitToBytesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(12288)]
    public void Matches_truncated_clamped_scaling_for_every_value_including_nan_and_infinities(int length)
    {
        var random = new Random(length + 5);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1f, 0.999f, 1.0001f, -0.001f, 0.5f, 127.5f / 255f, 1e30f, -1e30f];
        float[] values = Enumerable.Range(0, length)
            .Select(i => i % 5 == 0 ? special[random.Next(special.Length)] : (float)((random.NextDouble() * 1.4) - 0.2))
            .ToArray();
        byte[] actual = new byte[length];
        ImageTensors.UnitToBytes(values, actual);
        for (int i = 0; i < length; i++)
        {
            float scaled = values[i] * 255f;
            byte expected = float.IsNaN(scaled) ? (byte)0 : (byte)Math.Clamp(scaled, 0f, 255f);
            Assert.True(expected == actual[i], $"value {values[i]} at {i}: expected {expected}, got {actual[i]}");
        }
    }

    [Fact]
    public void A_short_destination_is_refused() =>
        Assert.Throws<ArgumentException>(() => ImageTensors.UnitToBytes(new float[4], new byte[3]));

    [Fact]
    public void ToPixels_fills_a_reused_buffer_of_the_same_shape_and_allocates_for_any_other()
    {
        using var first = TorchSharp.torch.full([2, 3, 3], 1f);
        using var second = TorchSharp.torch.arange(18, dtype: TorchSharp.torch.ScalarType.Float32).reshape(2, 3, 3).div(17);
        using var wider = TorchSharp.torch.zeros([2, 4, 3]);
        PixelBuffer a = ImageTensors.ToPixels(first, reuse: null);
        Assert.All(a.Pixels, p => Assert.Equal(255, p));
        byte[] fresh = ImageTensors.ToPixels(second).Pixels;
        PixelBuffer b = ImageTensors.ToPixels(second, reuse: a);
        Assert.Same(a, b);
        Assert.Equal(fresh, b.Pixels);
        PixelBuffer c = ImageTensors.ToPixels(wider, reuse: b);
        Assert.NotSame(b, c);
        Assert.Equal((4, 2, 3, 24), (c.Width, c.Height, c.Channels, c.Pixels.Length));
        Assert.Equal(fresh, b.Pixels);
    }
}
