using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Mask;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>
/// Sizes taken from widgets are checked before libtorch sees them (issue 22): shapes over
/// <see cref="ServerOptions.MaxTensorElements"/> fail as a ValueError node error, never as an allocation
/// that takes the machine's memory; within the limit the nodes still build exactly the asked shape.
/// </summary>
public sealed class SizeLimitTests : IDisposable
{
    private readonly ImagingTestContext _context = new(new ServerOptions { MaxTensorElements = 10_000 });

    public void Dispose() => _context.Dispose();

    [Fact]
    public void Size_limit_arithmetic_refuses_negative_sizes_and_overflowing_products()
    {
        using var services = new ImagingTestContext(new ServerOptions { MaxTensorElements = 100 });
        SizeLimits.EnsureAllocatable(services, "ok", 10, 10);
        SizeLimits.EnsureAllocatable(services, "empty", 0, long.MaxValue, long.MaxValue);
        Assert.Equal("ValueError", Assert.Throws<NodeException>(() => SizeLimits.EnsureAllocatable(services, "x", 10, 11)).PythonType);
        Assert.Contains("negative", Assert.Throws<NodeException>(() => SizeLimits.EnsureAllocatable(services, "x", -1, 5)).Message, StringComparison.Ordinal);
        Assert.Throws<NodeException>(() => SizeLimits.EnsureAllocatable(services, "x", long.MaxValue, long.MaxValue, 2));
        Assert.Throws<NodeException>(() => SizeLimits.EnsureAllocatable(services, "x", 1L << 40, 1L << 40));
        Assert.Throws<NodeException>(() => SizeLimits.EnsureAllocatable(null, "defaults", 16384, 16384, 4096, 3));
    }

    [Fact]
    public void Nodes_building_tensors_from_widget_sizes_refuse_shapes_over_the_limit()
    {
        var error = Assert.Throws<NodeException>(() => _context.RunTensor(new EmptyImage(),
            (EmptyImage.Width, 16384L), (EmptyImage.Height, 16384L), (EmptyImage.BatchSize, 4096L), (EmptyImage.Color, 0L)));
        Assert.Equal("ValueError", error.PythonType);
        Assert.Throws<NodeException>(() => _context.RunTensor(new SolidMask(), (SolidMask.Value, 1.0), (SolidMask.Width, 200L), (SolidMask.Height, 200L)));
        using Tensor small = _context.RunTensor(new EmptyImage(), (EmptyImage.Width, 8L), (EmptyImage.Height, 4L), (EmptyImage.BatchSize, 2L), (EmptyImage.Color, 0L));
        Assert.Equal([2L, 4, 8, 3], small.shape);
        Assert.Throws<NodeException>(() => _context.RunTensor(new ImageScale(), (ImageScale.Image, small), (ImageScale.UpscaleMethod, "nearest-exact"),
            (ImageScale.Width, 100L), (ImageScale.Height, 100L), (ImageScale.Crop, "disabled")));
        Assert.Throws<NodeException>(() => _context.RunTensor(new ImagePadForOutpaint(), (ImagePadForOutpaint.Image, small),
            (ImagePadForOutpaint.Left, 100L), (ImagePadForOutpaint.Top, 0L), (ImagePadForOutpaint.Right, 0L), (ImagePadForOutpaint.Bottom, 100L), (ImagePadForOutpaint.Feathering, 0L)));
    }
}
