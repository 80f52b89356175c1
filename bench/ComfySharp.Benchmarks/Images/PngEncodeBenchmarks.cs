using BenchmarkDotNet.Attributes;
using ComfySharp.Torch.Images;
using TorchSharp;

namespace ComfySharp.Benchmarks.Images;

/// <summary>
/// What a PreviewImage or SaveImage costs per image: the float tensor to 8-bit pixels, then the PNG
/// (adaptive row filters and zlib at the preview's level 1 and SaveImage's level 4), for a flat colour
/// (what the trivial load workload makes) and for noise (the worst case for the filters and zlib).
/// Run: dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*PngEncode*' --inProcess
/// </summary>
[MemoryDiagnoser]
public class PngEncodeBenchmarks
{
    private torch.Tensor _image = null!;
    private PixelBuffer _pixels = null!;
    private PixelBuffer _reused = null!;

    /// <summary>Width and height in pixels.</summary>
    [Params(64, 512)]
    public int Size { get; set; }

    /// <summary>Image content.</summary>
    [Params("flat", "noise")]
    public string Content { get; set; } = "flat";

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(1);
        _image = Content == "flat" ? torch.full([Size, Size, 3], 0.25f) : torch.rand([Size, Size, 3]);
        _pixels = ImageTensors.ToPixels(_image);
        _reused = ImageTensors.ToPixels(_image);
    }

    [GlobalCleanup]
    public void Cleanup() => _image.Dispose();

    [Benchmark]
    public PixelBuffer ToPixels() => ImageTensors.ToPixels(_image);

    [Benchmark]
    public PixelBuffer ToPixelsReused() => ImageTensors.ToPixels(_image, _reused);

    [Benchmark]
    public byte[] EncodePreviewLevel1() => PngFile.Encode(_pixels, 1);

    [Benchmark]
    public byte[] EncodeSaveLevel4() => PngFile.Encode(_pixels, 4);
}
