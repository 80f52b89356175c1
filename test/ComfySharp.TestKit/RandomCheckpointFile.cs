using System.Runtime.InteropServices;
using System.Text;
using ComfySharp.Torch.SafeTensors;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace ComfySharp.TestKit;

/// <summary>
/// A deterministic random checkpoint built by the value rule of golden/README.md §1 (FNV-1a + SplitMix64
/// per key, fp16 storage, the int64 position ids first, then the fp16 tensors sorted by key), rebuilt
/// byte for byte: as a cached file (<see cref="EnsureFile"/>) or tensor by tensor in memory
/// (<see cref="CreateTensor"/>). The SD1.5, SDXL and SD 2.x test checkpoints are instances.
/// </summary>
public sealed class RandomCheckpointFile
{
    private static readonly SemaphoreSlim InProcessLock = new(1, 1);

    /// <summary>fp16 bit patterns of k / 32768 for k = -1024..1023 (index k + 1024); all exact.</summary>
    private static readonly ushort[] HalfBitsOfK = BuildHalfTable();

    private readonly Dictionary<string, Sd15TensorSpec> _byKey;

    /// <summary>A checkpoint named <paramref name="fileName"/> holding <paramref name="tensors"/> (any order).</summary>
    public RandomCheckpointFile(string fileName, IEnumerable<Sd15TensorSpec> tensors)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(tensors);
        FileName = fileName;
        var all = tensors.ToList();
        Tensors = [.. all.Where(t => t.IsInt64), .. all.Where(t => !t.IsInt64).OrderBy(t => t.Key, StringComparer.Ordinal)];
        _byKey = Tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
        Layout = SafeTensorsWriter.Plan(Tensors.Select(t => (t.Key, t.IsInt64 ? SafeTensorsDType.I64 : SafeTensorsDType.F16, t.Shape)));
    }

    /// <summary>File name of the cached checkpoint.</summary>
    public string FileName { get; }

    /// <summary>The tensors in data order: the I64 position ids first, then every fp16 tensor sorted by key (ordinal).</summary>
    public IReadOnlyList<Sd15TensorSpec> Tensors { get; }

    /// <summary>The file layout (header bytes and offsets).</summary>
    public SafeTensorsLayout Layout { get; }

    /// <summary>Folder shared by all test runs on this machine (<c>$TMPDIR/comfysharp-golden</c>).</summary>
    public static string CacheDirectory => Path.Combine(Path.GetTempPath(), "comfysharp-golden");

    /// <summary>The spec of one key.</summary>
    public Sd15TensorSpec Spec(string key) =>
        _byKey.TryGetValue(key, out Sd15TensorSpec? spec) ? spec : throw new KeyNotFoundException($"'{key}' is not a key of {FileName}.");

    /// <summary>FNV-1a 64 of the key's UTF-8 bytes: the seed of its values.</summary>
    public static ulong Fnv1a64(string key)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(key))
        {
            h ^= b;
            h *= 0x100000001b3UL;
        }
        return h;
    }

    /// <summary>The SplitMix64 output number <paramref name="index"/> + 1 of a generator seeded with <paramref name="seed"/>.</summary>
    public static ulong SplitMix(ulong seed, long index)
    {
        ulong z = seed + ((ulong)(index + 1) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The integer k in [-1024, 1023] of element <paramref name="index"/>; the value is k / 32768.</summary>
    public static int RandomK(ulong seed, long index) => (int)(SplitMix(seed, index) >> 53) - 1024;

    /// <summary>Fills the fp16 bit patterns of elements [start, start + destination.Length) of a tensor.</summary>
    public static void FillHalfBits(Sd15TensorSpec spec, long start, Span<ushort> destination)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Rule)
        {
            case Sd15ValueRule.Zero:
                destination.Clear();
                break;
            case Sd15ValueRule.One:
                destination.Fill(BitConverter.HalfToUInt16Bits((Half)1f));
                break;
            case Sd15ValueRule.Random:
                ulong seed = Fnv1a64(spec.Key);
                ushort[] table = HalfBitsOfK;
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = table[(int)(SplitMix(seed, start + i) >> 53)];
                }
                break;
            default:
                throw new ArgumentException($"'{spec.Key}' is not an fp16 tensor.", nameof(spec));
        }
    }

    /// <summary>
    /// One tensor in memory, as stored (fp16, or int64 for the position ids) or converted to <paramref name="dtype"/>.
    /// The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor CreateTensor(string key, ScalarType? dtype = null)
    {
        Sd15TensorSpec spec = Spec(key);
        using (NewDisposeScope())
        {
            Tensor t;
            if (spec.IsInt64)
            {
                t = arange(spec.ElementCount, ScalarType.Int64).reshape(spec.Shape);
            }
            else
            {
                t = empty(spec.Shape, ScalarType.Float16);
                Span<ushort> bits = MemoryMarshal.Cast<byte, ushort>(t.bytes);
                const int Chunk = 1 << 20;
                if (bits.Length <= Chunk)
                {
                    FillHalfBits(spec, 0, bits);
                }
                else
                {
                    // The span cannot cross into the lambda; each chunk re-derives it from the tensor.
                    Tensor target = t;
                    int chunks = (bits.Length + Chunk - 1) / Chunk;
                    int total = bits.Length;
                    Parallel.For(0, chunks, ci =>
                    {
                        int begin = ci * Chunk;
                        int length = Math.Min(Chunk, total - begin);
                        FillHalfBits(spec, begin, MemoryMarshal.Cast<byte, ushort>(target.bytes).Slice(begin, length));
                    });
                }
            }
            Tensor result = dtype is { } d && d != t.dtype ? t.to_type(d) : t;
            return result.MoveToOuterDisposeScope();
        }
    }

    /// <summary>All tensors whose key starts with <paramref name="prefix"/>, keyed without the prefix.</summary>
    public Dictionary<string, Tensor> CreateTensors(string prefix, ScalarType? dtype = null) =>
        Tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key[prefix.Length..], t => CreateTensor(t.Key, dtype), StringComparer.Ordinal);

    /// <summary>
    /// The path of the cached checkpoint, generating it first when it is missing or has the wrong size or header.
    /// Safe to call from parallel tests and from several test processes (a lock file serialises generation).
    /// </summary>
    public string EnsureFile()
    {
        string dir = CacheDirectory;
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, FileName);
        InProcessLock.Wait();
        try
        {
            if (IsValid(path))
            {
                return path;
            }
            using FileStream lockFile = AcquireLockFile(path + ".lock");
            if (!IsValid(path))
            {
                string temp = $"{path}.{Environment.ProcessId}.tmp";
                Write(temp);
                File.Move(temp, path, overwrite: true);
            }
            return path;
        }
        finally
        {
            InProcessLock.Release();
        }
    }

    /// <summary>Writes the checkpoint to <paramref name="path"/> (parallel generation, positional writes).</summary>
    public void Write(string path)
    {
        SafeTensorsLayout layout = Layout;
        long dataStart = layout.Header.Length;
        using (SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None, layout.FileLength))
        {
            RandomAccess.Write(handle, layout.Header, 0);
            const int Chunk = 1 << 22;
            var work = new List<(Sd15TensorSpec Spec, long Start, int Count, long FileOffset)>();
            for (int i = 0; i < Tensors.Count; i++)
            {
                Sd15TensorSpec spec = Tensors[i];
                long begin = dataStart + layout.Tensors[i].DataBegin;
                long elementSize = spec.IsInt64 ? 8 : 2;
                for (long s = 0; s < spec.ElementCount; s += Chunk)
                {
                    work.Add((spec, s, (int)Math.Min(Chunk, spec.ElementCount - s), begin + (s * elementSize)));
                }
            }
            // Largest first keeps both cores busy until the end.
            work.Sort((a, b) => b.Count.CompareTo(a.Count));
            Parallel.ForEach(work, item =>
            {
                if (item.Spec.IsInt64)
                {
                    long[] ids = new long[item.Count];
                    for (int k = 0; k < ids.Length; k++)
                    {
                        ids[k] = item.Start + k;
                    }
                    RandomAccess.Write(handle, MemoryMarshal.AsBytes(ids.AsSpan()), item.FileOffset);
                    return;
                }
                ushort[] buffer = new ushort[item.Count];
                FillHalfBits(item.Spec, item.Start, buffer);
                RandomAccess.Write(handle, MemoryMarshal.AsBytes(buffer.AsSpan()), item.FileOffset);
            });
        }
    }

    private bool IsValid(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != Layout.FileLength)
        {
            return false;
        }
        byte[] header = new byte[Layout.Header.Length];
        using FileStream stream = File.OpenRead(path);
        stream.ReadExactly(header);
        return header.AsSpan().SequenceEqual(Layout.Header);
    }

    private static FileStream AcquireLockFile(string lockPath)
    {
        DateTime deadline = DateTime.UtcNow.AddMinutes(15);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(250);
            }
        }
    }

    private static ushort[] BuildHalfTable()
    {
        ushort[] table = new ushort[2048];
        for (int k = -1024; k < 1024; k++)
        {
            table[k + 1024] = BitConverter.HalfToUInt16Bits((Half)(k / 32768f));
        }
        return table;
    }
}
