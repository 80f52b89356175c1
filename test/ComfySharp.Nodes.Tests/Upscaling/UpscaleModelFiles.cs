using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Upscaling;

/// <summary>Writes small random-weight upscale models in the key layouts of the published files.</summary>
internal static class UpscaleModelFiles
{
    /// <summary>ESRGAN weights in the original layout (<c>model.N</c>): nf features, gc growth, nb blocks, log2(scale) up stages.</summary>
    public static Dictionary<string, Tensor> EsrganOld(int upsamplings, int nf = 8, int gc = 4, int nb = 2, int inChannels = 3, int outChannels = 3, long seed = 1)
    {
        using var generator = new Generator((ulong)seed);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void Conv(string key, int cin, int cout)
        {
            double scale = 1.0 / Math.Sqrt(cin * 9);
            using var w = randn([cout, cin, 3, 3], generator: generator);
            using var b = randn([cout], generator: generator);
            weights[key + ".weight"] = w.Mul(scale);
            weights[key + ".bias"] = b.Mul(0.05);
        }
        Conv("model.0", inChannels, nf);
        for (int i = 0; i < nb; i++)
        {
            for (int r = 1; r <= 3; r++)
            {
                for (int c = 1; c <= 5; c++)
                {
                    Conv($"model.1.sub.{i}.RDB{r}.conv{c}.0", nf + ((c - 1) * gc), c == 5 ? nf : gc);
                }
            }
        }
        Conv($"model.1.sub.{nb}", nf, nf);
        for (int u = 1; u <= upsamplings; u++)
        {
            Conv($"model.{3 * u}", nf, nf);
        }
        Conv($"model.{(3 * upsamplings) + 2}", nf, nf);
        Conv($"model.{(3 * upsamplings) + 4}", nf, outChannels);
        return weights;
    }

    /// <summary>The same weights renamed to the BasicSR layout (<c>conv_first</c>, <c>body.N.rdbK.convJ</c>, <c>conv_upN</c>, ...).</summary>
    public static Dictionary<string, Tensor> ToBasicSr(Dictionary<string, Tensor> old, int upsamplings, int nb)
    {
        var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in old)
        {
            string name = key;
            string[] parts = key.Split('.');
            string tail = parts[^1];
            if (key.StartsWith("model.1.sub.", StringComparison.Ordinal) && parts.Length == 8)
            {
                name = $"body.{parts[3]}.rdb{parts[4][3..]}.{parts[5]}.{tail}";
            }
            else if (key.StartsWith("model.1.sub.", StringComparison.Ordinal))
            {
                name = "conv_body." + tail;
            }
            else
            {
                int index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                name = index == 0 ? "conv_first." + tail
                    : index == (3 * upsamplings) + 2 ? "conv_hr." + tail
                    : index == (3 * upsamplings) + 4 ? "conv_last." + tail
                    : $"conv_up{index / 3}.{tail}";
            }
            renamed[name] = value;
        }
        Assert.Equal(old.Count, renamed.Count);
        _ = nb;
        return renamed;
    }

    /// <summary>Real-ESRGAN compact weights; the last convolution is zero when <paramref name="zeroLast"/>.</summary>
    public static Dictionary<string, Tensor> Compact(int scale, int convolutions = 2, int nf = 8, bool zeroLast = false, long seed = 2)
    {
        using var generator = new Generator((ulong)seed);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        int index = 0;
        for (int i = 0; i <= convolutions; i++)
        {
            weights[$"body.{index}.weight"] = randn([nf, i == 0 ? 3 : nf, 3, 3], generator: generator).Mul(0.1);
            weights[$"body.{index}.bias"] = randn([nf], generator: generator).Mul(0.01);
            index++;
            weights[$"body.{index}.weight"] = rand([nf], generator: generator).Mul(0.25);
            index++;
        }
        int outChannels = 3 * scale * scale;
        weights[$"body.{index}.weight"] = zeroLast ? zeros(outChannels, nf, 3, 3) : randn([outChannels, nf, 3, 3], generator: generator).Mul(0.05);
        weights[$"body.{index}.bias"] = zeroLast ? zeros(outChannels) : randn([outChannels], generator: generator).Mul(0.01);
        return weights;
    }

    public static string Write(string folder, string name, Dictionary<string, Tensor> weights)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        SafeTensorsWriter.Write(path, weights);
        return path;
    }
}
