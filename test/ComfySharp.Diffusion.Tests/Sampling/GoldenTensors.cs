using System.Buffers.Binary;
using System.Text.Json;
using ComfySharp.TestKit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Sampling;

/// <summary>Reads the golden float32 safetensors files (a minimal reader so these tests do not depend on the loader branch).</summary>
internal static class GoldenTensors
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([TestPaths.Shared, "golden", "sd15", .. parts]);

    public static Dictionary<string, Tensor> Load(params string[] parts)
    {
        byte[] bytes = File.ReadAllBytes(Path(parts));
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        int dataStart = 8 + (int)headerLength;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (dtype != "F32")
            {
                throw new NotSupportedException(dtype);
            }
            int count = (int)((offsets[1] - offsets[0]) / 4);
            var values = new float[count];
            Buffer.BlockCopy(bytes, dataStart + (int)offsets[0], values, 0, count * 4);
            result[entry.Name] = tensor(values).reshape(shape);
        }
        return result;
    }

    /// <summary>max |a - b| / max |golden|.</summary>
    public static double Relative(Tensor actual, Tensor golden)
    {
        double diff = (actual.to_type(ScalarType.Float64) - golden.to_type(ScalarType.Float64)).abs().max().item<double>();
        double scale = golden.abs().max().item<float>();
        return diff / scale;
    }

    public static double Absolute(Tensor actual, Tensor golden) =>
        (actual.to_type(ScalarType.Float64) - golden.to_type(ScalarType.Float64)).abs().max().item<double>();
}
