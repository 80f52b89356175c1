using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>ImageRGBToYUV and ImageYUVToRGB against values worked out by hand from the BT.601 constants.</summary>
public sealed class ColorSpaceNodeTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private Tensor[] ToYuv(Tensor image) => [.. _context.Run(new ImageRGBToYUV(), (ImageRGBToYUV.Image, image)).Values.Cast<Tensor>()];

    private Tensor ToRgb(Tensor y, Tensor u, Tensor v) => _context.RunTensor(new ImageYUVToRGB(), (ImageYUVToRGB.Y, y), (ImageYUVToRGB.U, u), (ImageYUVToRGB.V, v));

    [Fact]
    public void RGB_to_YUV_gives_grey_planes_of_the_input_shape()
    {
        // Pixels: red, blue, white, mid grey.
        Tensor image = T.Of([1, 0, 0, 0, 0, 1, 1, 1, 1, 0.5f, 0.5f, 0.5f], 1, 2, 2, 3);
        Tensor[] planes = ToYuv(image);
        Assert.Equal(3, planes.Length);
        foreach (Tensor plane in planes)
        {
            T.Shape(plane, 1, 2, 2, 3);
        }
        // Red: Y = 0.299, U = 0.5 − 0.299·0.564 = 0.331364, V = 0.5 + 0.701·0.713 = 0.999813.
        // Blue: Y = 0.114, U = 0.5 + 0.886·0.564 = 0.999704, V = 0.5 − 0.114·0.713 = 0.418718.
        // White: Y = 1, U = V = 0.5. Grey 0.5: all 0.5.
        float[] y = [0.299f, 0.114f, 1f, 0.5f], u = [0.331364f, 0.999704f, 0.5f, 0.5f], v = [0.999813f, 0.418718f, 0.5f, 0.5f];
        static float[] Grey(float[] values) => [.. values.SelectMany(x => new[] { x, x, x })];
        T.Equal(Grey(y), planes[0], 1e-6f);
        T.Equal(Grey(u), planes[1], 1e-6f);
        T.Equal(Grey(v), planes[2], 1e-6f);
    }

    [Fact]
    public void YUV_to_RGB_averages_each_plane_and_inverts_the_split()
    {
        // Y channels average to 0.4; U is 0.6 (Cb 0.1); V is 0.5 (Cr 0).
        Tensor y = T.Of([0.2f, 0.4f, 0.6f], 1, 1, 1, 3);
        Tensor u = T.Of([0.6f, 0.6f, 0.6f], 1, 1, 1, 3);
        Tensor v = T.Of([0.5f], 1, 1, 1, 1);
        // R = 0.4, G = 0.4 − 0.344·0.1 = 0.3656, B = 0.4 + 1.773·0.1 = 0.5773.
        T.Equal([0.4f, 0.3656f, 0.5773f], ToRgb(y, u, v), 1e-6f);

        Tensor image = T.Ramp(2, 3, 4, 3);
        Tensor[] planes = ToYuv(image);
        Tensor back = ToRgb(planes[0], planes[1], planes[2]);
        T.Shape(back, 2, 3, 4, 3);
        // The rounded forward and backward constants invert each other to within 1e-3.
        T.Equal(T.Values(image), back, 1e-3f);
    }

    [Fact]
    public void Bad_shapes_are_node_errors()
    {
        Assert.Throws<NodeException>(() => ToYuv(ones(1, 2, 2, 4)));
        Assert.Throws<NodeException>(() => ToYuv(ones(2, 2, 3)));
        Assert.Throws<NodeException>(() => ToRgb(ones(1, 2, 2, 3), ones(1, 2, 3, 3), ones(1, 2, 2, 3)));
        Assert.Throws<NodeException>(() => ToRgb(ones(1, 2, 2, 3), ones(1, 2, 2, 3), ones(2, 2, 2, 3)));
    }
}
