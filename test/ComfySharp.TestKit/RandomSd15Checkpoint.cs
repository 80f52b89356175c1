using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.TestKit;

/// <summary>
/// The deterministic random SD1.5 checkpoint of golden/README.md §1, rebuilt byte for byte: as a cached
/// file (<see cref="EnsureFile"/>) or tensor by tensor in memory (<see cref="CreateTensor"/>).
/// </summary>
public static class RandomSd15Checkpoint
{
    /// <summary>File name of the cached checkpoint.</summary>
    public const string FileName = "random_sd15.safetensors";

    /// <summary>Size of the file (golden README §1).</summary>
    public const long ExpectedFileLength = 2_132_625_894;

    /// <summary>The checkpoint (layout, values, cached file).</summary>
    public static RandomCheckpointFile Checkpoint { get; } = new(FileName, Sd15KeyLayout.All);

    /// <summary>The tensors in data order: the I64 position ids first, then every fp16 tensor sorted by key (ordinal).</summary>
    public static IReadOnlyList<Sd15TensorSpec> Tensors => Checkpoint.Tensors;

    /// <summary>The file layout (header bytes and offsets).</summary>
    public static SafeTensorsLayout Layout => Checkpoint.Layout;

    /// <summary>Folder shared by all test runs on this machine (<c>$TMPDIR/comfysharp-golden</c>).</summary>
    public static string CacheDirectory => RandomCheckpointFile.CacheDirectory;

    /// <summary>The spec of one key.</summary>
    public static Sd15TensorSpec Spec(string key) => Checkpoint.Spec(key);

    /// <summary>FNV-1a 64 of the key's UTF-8 bytes: the seed of its values.</summary>
    public static ulong Fnv1a64(string key) => RandomCheckpointFile.Fnv1a64(key);

    /// <summary>The SplitMix64 output number <paramref name="index"/> + 1 of a generator seeded with <paramref name="seed"/>.</summary>
    public static ulong SplitMix(ulong seed, long index) => RandomCheckpointFile.SplitMix(seed, index);

    /// <summary>The integer k in [-1024, 1023] of element <paramref name="index"/>; the value is k / 32768.</summary>
    public static int RandomK(ulong seed, long index) => RandomCheckpointFile.RandomK(seed, index);

    /// <summary>Fills the fp16 bit patterns of elements [start, start + destination.Length) of a tensor.</summary>
    public static void FillHalfBits(Sd15TensorSpec spec, long start, Span<ushort> destination) =>
        RandomCheckpointFile.FillHalfBits(spec, start, destination);

    /// <summary>One tensor in memory, as stored or converted to <paramref name="dtype"/>; owned by the caller's dispose scope.</summary>
    public static Tensor CreateTensor(string key, ScalarType? dtype = null) => Checkpoint.CreateTensor(key, dtype);

    /// <summary>All tensors whose key starts with <paramref name="prefix"/>, keyed without the prefix.</summary>
    public static Dictionary<string, Tensor> CreateTensors(string prefix, ScalarType? dtype = null) => Checkpoint.CreateTensors(prefix, dtype);

    /// <summary>The path of the cached checkpoint, generating it first when it is missing or invalid.</summary>
    public static string EnsureFile() => Checkpoint.EnsureFile();

    /// <summary>Writes the checkpoint to <paramref name="path"/>.</summary>
    public static void Write(string path) => Checkpoint.Write(path);
}
