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
}
