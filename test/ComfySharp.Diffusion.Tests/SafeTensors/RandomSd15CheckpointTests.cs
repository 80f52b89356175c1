using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.SafeTensors;

public sealed class RandomSd15CheckpointTests
{
    private static readonly string Golden = Path.Combine(TestPaths.Shared, "golden");

    [Fact]
    public void Layout_matches_key_list_line_by_line()
    {
        string[] lines = File.ReadAllLines(Path.Combine(Golden, "key_list.tsv"));
        Assert.Equal(1131, lines.Length - 1);
        Assert.Equal(1131, RandomSd15Checkpoint.Tensors.Count);
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split('\t');
            Sd15TensorSpec spec = RandomSd15Checkpoint.Tensors[i - 1];
            SafeTensorInfo info = RandomSd15Checkpoint.Layout.Tensors[i - 1];
            Assert.Equal(f[1], spec.Key);
            Assert.Equal(f[2], spec.IsInt64 ? "I64" : "F16");
            Assert.Equal(f[3], string.Join('x', spec.Shape));
            Assert.Equal(long.Parse(f[5], CultureInfo.InvariantCulture), info.DataBegin);
            Assert.Equal(long.Parse(f[6], CultureInfo.InvariantCulture), info.DataEnd);
            Assert.Equal(f[7], spec.Rule switch
            {
                Sd15ValueRule.Random => "random",
                Sd15ValueRule.Zero => "zero",
                Sd15ValueRule.One => "one",
                _ => "position_ids",
            });
            Assert.Equal(f[8], RandomSd15Checkpoint.Fnv1a64(spec.Key).ToString("x16", CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Header_matches_golden_length_and_sha256()
    {
        using JsonDocument vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(Golden, "weights_test_vectors.json")));
        JsonElement root = vectors.RootElement;
        byte[] header = RandomSd15Checkpoint.Layout.Header;
        Assert.Equal(root.GetProperty("header_length").GetInt64(), header.Length - 8);
        Assert.Equal(root.GetProperty("data_start").GetInt64(), header.Length);
        Assert.Equal(root.GetProperty("file_size").GetInt64(), RandomSd15Checkpoint.Layout.FileLength);
        Assert.Equal(root.GetProperty("header_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(header.AsSpan(8))));
    }

    [Fact]
    public void Values_match_the_test_vectors()
    {
        using JsonDocument vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(Golden, "weights_test_vectors.json")));
        int checkedTensors = 0;
        foreach (JsonProperty entry in vectors.RootElement.GetProperty("test_vectors").EnumerateObject())
        {
            ulong seed = RandomSd15Checkpoint.Fnv1a64(entry.Name);
            Assert.Equal(entry.Value.GetProperty("fnv1a64").GetString(), $"0x{seed:x16}");
            string[] z = [.. entry.Value.GetProperty("splitmix_z_first3").EnumerateArray().Select(e => e.GetString()!)];
            for (int i = 0; i < z.Length; i++)
            {
                Assert.Equal(z[i], $"0x{RandomSd15Checkpoint.SplitMix(seed, i):x16}");
            }
            using var scope = NewDisposeScope();
            Tensor t = RandomSd15Checkpoint.CreateTensor(entry.Name, ScalarType.Float32).flatten();
            double[] first8 = [.. entry.Value.GetProperty("values_first8").EnumerateArray().Select(e => e.GetDouble())];
            Assert.Equal(first8.Select(v => (float)v), t[..8].data<float>().ToArray());
            foreach (JsonProperty at in entry.Value.GetProperty("k_at_flat_index").EnumerateObject())
            {
                long index = long.Parse(at.Name, CultureInfo.InvariantCulture);
                Assert.Equal(at.Value.GetInt32() / 32768f, t[index].item<float>());
                Assert.Equal(at.Value.GetInt32(), RandomSd15Checkpoint.RandomK(seed, index));
            }
            checkedTensors++;
        }
        Assert.Equal(5, checkedTensors);
    }

    [Fact]
    public void Zero_one_and_position_id_rules()
    {
        using var scope = NewDisposeScope();
        Assert.True(RandomSd15Checkpoint.CreateTensor("model.diffusion_model.out.2.bias").eq(0).all().item<bool>());
        Assert.True(RandomSd15Checkpoint.CreateTensor("model.diffusion_model.out.0.weight").eq(1).all().item<bool>());
        Tensor ids = RandomSd15Checkpoint.CreateTensor("cond_stage_model.transformer.text_model.embeddings.position_ids");
        Assert.Equal(ScalarType.Int64, ids.dtype);
        Assert.Equal(new long[] { 1, 77 }, ids.shape);
        Assert.Equal(76L, ids[0, 76].item<long>());
    }

    [Fact]
    public void Cached_file_opens_and_tensors_equal_the_in_memory_ones()
    {
        string path = RandomSd15Checkpoint.EnsureFile();
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Equal(RandomSd15Checkpoint.ExpectedFileLength, file.FileLength);
        Assert.Equal(1131, file.Tensors.Count);
        Assert.Equal(197, file.KeysWithPrefix(Sd15KeyLayout.ClipPrefix).Count());
        Assert.Equal(686, file.KeysWithPrefix(Sd15KeyLayout.UNetPrefix).Count());
        Assert.Equal(248, file.KeysWithPrefix(Sd15KeyLayout.VaePrefix).Count());
        using var scope = NewDisposeScope();
        foreach (string key in new[]
        {
            "cond_stage_model.transformer.text_model.embeddings.position_ids",
            "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
            "model.diffusion_model.out.2.weight",
            "first_stage_model.decoder.conv_out.weight",
            "first_stage_model.decoder.norm_out.weight",
        })
        {
            TensorAssert.Identical(RandomSd15Checkpoint.CreateTensor(key), file.Load(key), key);
        }
        // The last tensor ends exactly at the end of the file.
        Tensor last = file.Load(file.Tensors[^1].Key, ScalarType.Float32);
        TensorAssert.Identical(RandomSd15Checkpoint.CreateTensor(file.Tensors[^1].Key, ScalarType.Float32), last);
    }
}
