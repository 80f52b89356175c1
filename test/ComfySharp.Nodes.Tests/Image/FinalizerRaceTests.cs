using ComfySharp.Nodes.Image;
using ComfySharp.Torch.Images;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>
/// TorchSharp does not keep a temporary tensor or an implicitly converted Scalar alive while libtorch
/// uses its handle, so a garbage collection triggered by another thread lets the finalizer free it
/// mid-call. The server died that way (segfault in <c>add_Scalar</c>) running 98 × ImageInvert under
/// 16 concurrent clients. Here a second thread forces collections while the preview path runs; before
/// the fix this crashed the test process within about a second.
/// </summary>
public sealed class FinalizerRaceTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public void Invert_chain_and_pixels_survive_concurrent_finalization()
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            var invert = new ImageInvert();
            var empty = new EmptyImage();
            for (int round = 0; round < 60; round++)
            {
                Tensor image = _context.RunTensor(empty, (EmptyImage.Width, 16L), (EmptyImage.Height, 16L), (EmptyImage.BatchSize, 1L), (EmptyImage.Color, 0x336699L));
                for (int i = 0; i < 500; i++)
                {
                    image = _context.RunTensor(invert, (ImageInvert.Image, image));
                }
                using (Tensor first = image[0])
                {
                    PixelBuffer pixels = ImageTensors.ToPixels(first);
                    // An even number of inversions gives the colour back (up to float rounding).
                    int[] expected = [0x33, 0x66, 0x99];
                    for (int c = 0; c < 3; c++)
                    {
                        Assert.InRange(pixels.Pixels[c], expected[c] - 1, expected[c] + 1);
                    }
                }
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }
}
