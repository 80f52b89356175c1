using ComfySharp.Diffusion.Previews;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.TestKit;

/// <summary>
/// TAESD decoder files for tests (about 5 MB in float32, so generated, never committed): seeded
/// random weights, or a decoder that paints one colour everywhere so a preview is recognisably its.
/// </summary>
public static class RandomTaesdDecoder
{
    /// <summary>The SD1.x decoder's file name in <c>vae_approx</c>.</summary>
    public const string FileName = "taesd_decoder.safetensors";

    /// <summary>
    /// Writes a decoder with He-scaled normal weights and small normal biases drawn from a CPU
    /// generator seeded with <paramref name="seed"/> (the same file for the same seed).
    /// </summary>
    public static void Write(string path, ulong seed)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(seed);
        WriteTensors(path, (key, shape) =>
        {
            if (key.EndsWith(".bias", StringComparison.Ordinal))
            {
                return randn(shape, generator: generator) * 0.05f;
            }
            double fanIn = shape[1] * shape[2] * shape[3];
            return randn(shape, generator: generator) * (float)Math.Sqrt(2.0 / fanIn);
        });
    }

    /// <summary>Writes a decoder whose weights are all zero except the output bias: every pixel decodes to <paramref name="rgb"/>.</summary>
    public static void WriteConstant(string path, float[] rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        using var scope = NewDisposeScope();
        var last = TaesdDecoder.ExpectedTensors()[^1];
        WriteTensors(path, (key, shape) => key == last.Key ? tensor(rgb) : zeros(shape));
    }

    private static void WriteTensors(string path, Func<string, long[], Tensor> create)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tensors = TaesdDecoder.ExpectedTensors().Select(e => new KeyValuePair<string, Tensor>(e.Key, create(e.Key, e.Shape))).ToList();
        SafeTensorsWriter.Write(path, tensors);
    }
}
