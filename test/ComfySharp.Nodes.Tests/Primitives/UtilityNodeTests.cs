using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Primitives;
using ComfySharp.Nodes.Tests.Sampling;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Primitives;

/// <summary>Primitives, latent arithmetic and image transforms on small tensors with hand-computed results.</summary>
public sealed class UtilityNodeTests
{
    private static object? Run(ComfyNode node, Dictionary<string, object?> values) =>
        node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values[0];

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Primitives_return_their_value()
    {
        Assert.Equal(-7L, Run(new PrimitiveInt(), new() { ["value"] = -7L }));
        Assert.Equal(2.5, Run(new PrimitiveFloat(), new() { ["value"] = 2.5 }));
        Assert.Equal("a b", Run(new PrimitiveString(), new() { ["value"] = "a b" }));
        Assert.Equal("line 1\nline 2", Run(new PrimitiveStringMultiline(), new() { ["value"] = "line 1\nline 2" }));
        Assert.Equal(true, Run(new PrimitiveBoolean(), new() { ["value"] = true }));
    }

    [Fact]
    public void Latent_arithmetic()
    {
        var a = new LatentValue(tensor(new float[] { 1, 2, 3, 4 }).reshape(1, 1, 2, 2)) { BatchIndex = [3] };
        var b = new LatentValue(tensor(new float[] { 10, 20, 30, 40 }).reshape(1, 1, 2, 2));
        var sum = (LatentValue)Run(new LatentAdd(), new() { ["samples1"] = a, ["samples2"] = b })!;
        Assert.Equal([11f, 22f, 33f, 44f], Values(sum.Samples));
        Assert.Equal([3L], sum.BatchIndex!);
        Assert.Equal([-9f, -18f, -27f, -36f], Values(((LatentValue)Run(new LatentSubtract(), new() { ["samples1"] = a, ["samples2"] = b })!).Samples));
        Assert.Equal([-2f, -4f, -6f, -8f], Values(((LatentValue)Run(new LatentMultiply(), new() { ["samples"] = a, ["multiplier"] = -2.0 })!).Samples));

        // A one-pixel batch of two: broadcast to the first latent's batch of two.
        var twoBatch = new LatentValue(ones(2, 1, 2, 2));
        var added = (LatentValue)Run(new LatentAdd(), new() { ["samples1"] = twoBatch, ["samples2"] = a })!;
        Assert.Equal([2, 1, 2, 2], added.Samples.shape);
        Assert.Equal([2f, 3f, 4f, 5f, 2f, 3f, 4f, 5f], Values(added.Samples));
        Assert.ThrowsAny<Exception>(() => Run(new LatentAdd(), new() { ["samples1"] = a, ["samples2"] = new LatentValue(ones(1, 4, 2, 2)) }));
    }

    [Fact]
    public void LatentInterpolate_mixes_directions_and_magnitudes()
    {
        // Two channels, one pixel: (3, 4) has length 5, (0, 2) has length 2.
        var a = new LatentValue(tensor(new float[] { 3, 4 }).reshape(1, 2, 1, 1));
        var b = new LatentValue(tensor(new float[] { 0, 2 }).reshape(1, 2, 1, 1));
        float[] Interpolate(double ratio) => Values(((LatentValue)Run(new LatentInterpolate(), new() { ["samples1"] = a, ["samples2"] = b, ["ratio"] = ratio })!).Samples);
        Assert.Equal([3f, 4f], Interpolate(1.0), new FloatTolerance(1e-5f));
        Assert.Equal([0f, 2f], Interpolate(0.0), new FloatTolerance(1e-5f));
        // ratio ½: direction (0.3, 0.9) normalised, length 3.5.
        double norm = Math.Sqrt((0.3 * 0.3) + (0.9 * 0.9));
        Assert.Equal([(float)(0.3 / norm * 3.5), (float)(0.9 / norm * 3.5)], Interpolate(0.5), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void Image_flip_rotate_and_repeat()
    {
        // 1×2×3 image, one channel: rows [0 1 2] / [3 4 5].
        Tensor image = arange(6, ScalarType.Float32).reshape(1, 2, 3, 1);
        Assert.Equal([3f, 4f, 5f, 0f, 1f, 2f], Values((Tensor)Run(new ImageFlip(), new() { ["image"] = image, ["flip_method"] = "x-axis: vertically" })!));
        Assert.Equal([2f, 1f, 0f, 5f, 4f, 3f], Values((Tensor)Run(new ImageFlip(), new() { ["image"] = image, ["flip_method"] = "y-axis: horizontally" })!));
        var clockwise = (Tensor)Run(new ImageRotate(), new() { ["image"] = image, ["rotation"] = "90 degrees" })!;
        // Clockwise: 3×2, rows [3 0] / [4 1] / [5 2].
        Assert.Equal([1, 3, 2, 1], clockwise.shape);
        Assert.Equal([3f, 0f, 4f, 1f, 5f, 2f], Values(clockwise));
        Assert.Equal([5f, 4f, 3f, 2f, 1f, 0f], Values((Tensor)Run(new ImageRotate(), new() { ["image"] = image, ["rotation"] = "180 degrees" })!));
        Assert.Equal([2f, 5f, 1f, 4f, 0f, 3f], Values((Tensor)Run(new ImageRotate(), new() { ["image"] = image, ["rotation"] = "270 degrees" })!));
        Assert.Equal(Values(image), Values((Tensor)Run(new ImageRotate(), new() { ["image"] = image, ["rotation"] = "none" })!));
        var repeated = (Tensor)Run(new RepeatImageBatch(), new() { ["image"] = image, ["amount"] = 3L })!;
        Assert.Equal([3, 2, 3, 1], repeated.shape);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
