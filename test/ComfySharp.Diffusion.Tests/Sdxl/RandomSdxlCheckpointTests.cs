using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Sdxl;

/// <summary>The SDXL key layout and value rule against golden README §5-§6 (no file needed).</summary>
public sealed class RandomSdxlCheckpointTests
{
    private static readonly string Golden = Path.Combine(TestPaths.Shared, "golden");

    [Fact]
    public void Layout_matches_key_list_sdxl_line_by_line()
    {
        string[] lines = File.ReadAllLines(Path.Combine(Golden, "key_list_sdxl.tsv"));
        RandomCheckpointFile checkpoint = RandomSdxlCheckpoint.Checkpoint;
        Assert.Equal(2515, lines.Length - 1);
        Assert.Equal(2515, checkpoint.Tensors.Count);
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split('\t');
            Sd15TensorSpec spec = checkpoint.Tensors[i - 1];
            SafeTensorInfo info = checkpoint.Layout.Tensors[i - 1];
            Assert.Equal(f[1], spec.Key);
            Assert.Equal(f[2], spec.IsInt64 ? "I64" : "F16");
            Assert.Equal(f[3], spec.Shape.Length == 0 ? "scalar" : string.Join('x', spec.Shape));
            Assert.Equal(long.Parse(f[5], CultureInfo.InvariantCulture), info.DataBegin);
            Assert.Equal(long.Parse(f[6], CultureInfo.InvariantCulture), info.DataEnd);
            Assert.Equal(f[7], spec.Rule switch
            {
                Sd15ValueRule.Random => "random",
                Sd15ValueRule.Zero => "zero",
                Sd15ValueRule.One => "one",
                _ => "position_ids",
            });
            Assert.Equal(f[8], RandomCheckpointFile.Fnv1a64(spec.Key).ToString("x16", CultureInfo.InvariantCulture));
        }
        Assert.Equal(3_468_837_945, checkpoint.Tensors.Sum(t => t.ElementCount));
    }

    [Fact]
    public void Header_matches_golden_length_and_sha256()
    {
        using JsonDocument vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(Golden, "weights_test_vectors_sdxl.json")));
        JsonElement root = vectors.RootElement;
        SafeTensorsLayout layout = RandomSdxlCheckpoint.Checkpoint.Layout;
        Assert.Equal(root.GetProperty("header_length").GetInt64(), layout.Header.Length - 8);
        Assert.Equal(root.GetProperty("data_start").GetInt64(), layout.Header.Length);
        Assert.Equal(root.GetProperty("file_size").GetInt64(), layout.FileLength);
        Assert.Equal(RandomSdxlCheckpoint.ExpectedFileLength, layout.FileLength);
        Assert.Equal(root.GetProperty("header_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(layout.Header.AsSpan(8))));
    }

    [Fact]
    public void Values_match_the_test_vectors()
    {
        using JsonDocument vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(Golden, "weights_test_vectors_sdxl.json")));
        int checkedTensors = 0;
        foreach (JsonProperty entry in vectors.RootElement.GetProperty("test_vectors").EnumerateObject())
        {
            ulong seed = RandomCheckpointFile.Fnv1a64(entry.Name);
            Assert.Equal(entry.Value.GetProperty("fnv1a64").GetString(), $"0x{seed:x16}");
            using var scope = NewDisposeScope();
            Tensor t = RandomSdxlCheckpoint.Checkpoint.CreateTensor(entry.Name, ScalarType.Float32).flatten();
            double[] first = [.. entry.Value.GetProperty("values_first8").EnumerateArray().Select(e => e.GetDouble()).Take((int)Math.Min(8, t.shape[0]))];
            Assert.Equal(first.Select(v => (float)v), t[..first.Length].data<float>().ToArray());
            foreach (JsonProperty at in entry.Value.GetProperty("k_at_flat_index").EnumerateObject())
            {
                long index = long.Parse(at.Name, CultureInfo.InvariantCulture);
                Assert.Equal(at.Value.GetInt32() / 32768f, t[index].item<float>());
            }
            checkedTensors++;
        }
        Assert.True(checkedTensors >= 5);
    }
}
