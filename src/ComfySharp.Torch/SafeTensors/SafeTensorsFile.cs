using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using static TorchSharp.torch;

namespace ComfySharp.Torch.SafeTensors;

/// <summary>
/// A read-only, memory-mapped safetensors file. The header is validated completely when the file is
/// opened (size caps, well-formed JSON, known dtypes, offsets in range, contiguous and non-overlapping,
/// shape × element size = byte length), so a hostile file fails with <see cref="SafeTensorsFormatException"/>
/// before any tensor memory is allocated. Loading is thread-safe.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Largest accepted header (the reference implementation uses the same cap).</summary>
    public const long DefaultMaxHeaderBytes = 100_000_000;

    /// <summary>The key of the optional string-to-string metadata object.</summary>
    public const string MetadataKey = "__metadata__";

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, SafeTensorInfo> _byKey;
    private bool _disposed;

    private SafeTensorsFile(string path, long fileLength, long headerLength, List<SafeTensorInfo> tensors,
        Dictionary<string, string> metadata, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        FilePath = path;
        FileLength = fileLength;
        HeaderLength = headerLength;
        Tensors = tensors;
        Metadata = metadata;
        _map = map;
        _view = view;
        _byKey = tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
    }

    /// <summary>The full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>File size in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Length of the JSON header in bytes (without the 8-byte length prefix).</summary>
    public long HeaderLength { get; }

    /// <summary>Absolute file offset where the data section starts.</summary>
    public long DataOffset => 8 + HeaderLength;

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensor names in header order.</summary>
    public IEnumerable<string> Keys => Tensors.Select(t => t.Key);

    /// <summary>Opens and validates a .safetensors file. Pickle formats are refused.</summary>
    /// <exception cref="UnsafeModelFormatException">The file is not a .safetensors file.</exception>
    /// <exception cref="SafeTensorsFormatException">The header is malformed.</exception>
    public static SafeTensorsFile Open(string path, long maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ModelFileFormat.EnsureSafeTensors(path);
        string fullPath = Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        try
        {
            long fileLength = stream.Length;
            Span<byte> prefix = stackalloc byte[8];
            if (fileLength < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            {
                throw new SafeTensorsFormatException($"'{Path.GetFileName(path)}' is too short to be a safetensors file ({fileLength} bytes).");
            }
            ModelFileFormat.EnsureNotPickleContent(prefix, path);
            ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (declared < 2 || declared > (ulong)maxHeaderBytes)
            {
                throw new SafeTensorsFormatException(
                    $"'{Path.GetFileName(path)}' declares a header of {declared} bytes; expected 2..{maxHeaderBytes}.");
            }
            long headerLength = (long)declared;
            if (8 + headerLength > fileLength)
            {
                throw new SafeTensorsFormatException(
                    $"'{Path.GetFileName(path)}' declares a header of {headerLength} bytes but the file has only {fileLength} bytes (truncated?).");
            }
            byte[] header = new byte[headerLength];
            stream.ReadExactly(header);
            (List<SafeTensorInfo> tensors, Dictionary<string, string> metadata) =
                ParseHeader(header, fileLength - 8 - headerLength, Path.GetFileName(path));

            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            try
            {
                MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                return new SafeTensorsFile(fullPath, fileLength, headerLength, tensors, metadata, map, view);
            }
            catch
            {
                map.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses and validates a header. <paramref name="dataLength"/> is the size of the data section; every
    /// byte of it must belong to exactly one tensor.
    /// </summary>
    /// <exception cref="SafeTensorsFormatException">The header is malformed.</exception>
    public static (List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(
        ReadOnlySpan<byte> header, long dataLength, string fileName = "safetensors header")
    {
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            // Trailing spaces pad the header to an 8-byte multiple.
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow });
            Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject, fileName, "the header is not a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                Expect(reader.Read(), fileName, "the header JSON ends early");
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }
                string key = reader.GetString()!;
                Expect(seen.Add(key), fileName, $"duplicate key '{key}'");
                Expect(reader.Read(), fileName, "the header JSON ends early");
                if (key == MetadataKey)
                {
                    ReadMetadata(ref reader, metadata, fileName);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, key, fileName));
                }
            }
            Expect(!reader.Read(), fileName, "unexpected content after the header JSON object");
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"Invalid safetensors header in '{fileName}': malformed JSON ({e.Message}).", e);
        }
        catch (InvalidOperationException e)
        {
            throw new SafeTensorsFormatException($"Invalid safetensors header in '{fileName}': unexpected JSON value ({e.Message}).", e);
        }

        // Every byte of the data section belongs to exactly one tensor, in increasing offset order.
        var byOffset = tensors.OrderBy(t => t.DataBegin).ThenBy(t => t.DataEnd).ToList();
        long position = 0;
        foreach (SafeTensorInfo t in byOffset)
        {
            Expect(t.DataBegin == position, fileName,
                t.DataBegin < position
                    ? $"tensor '{t.Key}' overlaps the previous tensor (begins at {t.DataBegin}, previous ends at {position})"
                    : $"gap before tensor '{t.Key}' (begins at {t.DataBegin}, previous ends at {position})");
            position = t.DataEnd;
        }
        Expect(position == dataLength, fileName,
            position > dataLength
                ? $"tensor data ends at {position} but the data section has only {dataLength} bytes (truncated?)"
                : $"tensor data ends at {position} but the data section has {dataLength} bytes");
        return (tensors, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string fileName)
    {
        Expect(reader.TokenType == JsonTokenType.StartObject, fileName, "__metadata__ must be an object");
        while (true)
        {
            Expect(reader.Read(), fileName, "the header JSON ends early");
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }
            string name = reader.GetString()!;
            Expect(reader.Read() && reader.TokenType == JsonTokenType.String, fileName, $"__metadata__ value '{name}' must be a string");
            metadata[name] = reader.GetString()!;
        }
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string key, string fileName)
    {
        Expect(reader.TokenType == JsonTokenType.StartObject, fileName, $"entry '{key}' must be an object");
        SafeTensorsDType? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (true)
        {
            Expect(reader.Read(), fileName, "the header JSON ends early");
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            string field = reader.GetString()!;
            Expect(reader.Read(), fileName, "the header JSON ends early");
            switch (field)
            {
                case "dtype":
                    Expect(reader.TokenType == JsonTokenType.String, fileName, $"dtype of '{key}' must be a string");
                    string name = reader.GetString()!;
                    dtype = SafeTensorsDTypes.TryParse(name);
                    Expect(dtype is not null, fileName, $"tensor '{key}' has unsupported dtype '{name}'");
                    break;
                case "shape":
                    shape = ReadLongArray(ref reader, fileName, key, field);
                    break;
                case "data_offsets":
                    offsets = ReadLongArray(ref reader, fileName, key, field);
                    break;
                default:
                    throw new SafeTensorsFormatException($"Invalid safetensors header in '{fileName}': tensor '{key}' has unknown field '{field}'.");
            }
        }
        Expect(dtype is not null && shape is not null && offsets is not null, fileName, $"tensor '{key}' needs dtype, shape and data_offsets");
        Expect(offsets!.Count == 2, fileName, $"data_offsets of '{key}' must have two entries");
        long begin = offsets[0], end = offsets[1];
        Expect(end >= begin, fileName, $"data_offsets of '{key}' are reversed ({begin} > {end})");
        long bytes = dtype!.Value.ElementSize();
        try
        {
            foreach (long d in shape!)
            {
                bytes = checked(bytes * d);
            }
        }
        catch (OverflowException)
        {
            throw new SafeTensorsFormatException($"Invalid safetensors header in '{fileName}': the shape of '{key}' is too large.");
        }
        Expect(bytes == end - begin, fileName,
            $"tensor '{key}' ({dtype} [{string.Join(", ", shape)}]) needs {bytes} bytes but data_offsets span {end - begin}");
        return new SafeTensorInfo(key, dtype.Value, [.. shape], begin, end);
    }

    private static List<long> ReadLongArray(ref Utf8JsonReader reader, string fileName, string key, string field)
    {
        Expect(reader.TokenType == JsonTokenType.StartArray, fileName, $"{field} of '{key}' must be an array");
        var values = new List<long>();
        while (true)
        {
            Expect(reader.Read(), fileName, "the header JSON ends early");
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return values;
            }
            Expect(reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long v) && v >= 0, fileName,
                $"{field} of '{key}' must hold non-negative integers");
            Expect(values.Count < 64, fileName, $"{field} of '{key}' has too many entries");
            values.Add(reader.GetInt64());
        }
    }

    private static void Expect(bool condition, string fileName, string problem)
    {
        if (!condition)
        {
            throw new SafeTensorsFormatException($"Invalid safetensors header in '{fileName}': {problem}.");
        }
    }

    /// <summary>True when the file holds a tensor named <paramref name="key"/>.</summary>
    public bool Contains(string key) => _byKey.ContainsKey(key);

    /// <summary>The header entry of <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public SafeTensorInfo GetInfo(string key) =>
        _byKey.TryGetValue(key, out SafeTensorInfo? info)
            ? info
            : throw new KeyNotFoundException($"Tensor '{key}' is not in '{Path.GetFileName(FilePath)}'.");

    /// <summary>The header entry of <paramref name="key"/>, or null.</summary>
    public SafeTensorInfo? TryGetInfo(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>Tensor names starting with <paramref name="prefix"/>, in header order.</summary>
    public IEnumerable<string> KeysWithPrefix(string prefix) => Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Copies the raw little-endian bytes of a tensor into <paramref name="destination"/> (exactly its byte length).</summary>
    public void CopyBytes(string key, Span<byte> destination) => CopyBytes(GetInfo(key), 0, destination);

    /// <summary>Copies raw bytes of a tensor starting at <paramref name="byteOffset"/> within it.</summary>
    public void CopyBytes(SafeTensorInfo info, long byteOffset, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(info);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (byteOffset < 0 || byteOffset + destination.Length > info.ByteLength)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), "The range lies outside the tensor's data.");
        }
        _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(DataOffset + info.DataBegin + byteOffset), destination);
    }

    /// <summary>
    /// Loads a tensor into a new CPU tensor of its stored dtype, or converted to <paramref name="dtype"/>.
    /// The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Load(string key, ScalarType? dtype = null)
    {
        SafeTensorInfo info = GetInfo(key);
        ScalarType stored = info.DType.ToScalarType();
        using (NewDisposeScope())
        {
            Tensor raw = empty(info.Shape, stored);
            long done = 0;
            // A span is limited to 2 GiB, so very large tensors are copied in slices of the flat view.
            const long Slice = 1L << 30;
            if (info.ByteLength <= Slice)
            {
                CopyBytes(info, 0, raw.bytes);
            }
            else
            {
                // Each slice goes through a fresh contiguous tensor, then into its place in the result.
                Tensor flat = raw.view(-1);
                long elementSize = info.DType.ElementSize();
                long perSlice = Slice / elementSize;
                for (long start = 0; start < flat.shape[0]; start += perSlice)
                {
                    long count = Math.Min(perSlice, flat.shape[0] - start);
                    using Tensor staging = empty(count, stored);
                    CopyBytes(info, done, staging.bytes);
                    using Tensor slice = flat.narrow(0, start, count);
                    slice.copy_(staging);
                    done += count * elementSize;
                }
            }
            Tensor result = dtype is { } target && target != stored ? raw.to_type(target) : raw;
            return result.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Loads every tensor whose name starts with <paramref name="prefix"/>, keyed by the name without the prefix.</summary>
    public Dictionary<string, Tensor> LoadWithPrefix(string prefix, ScalarType? dtype = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string key in KeysWithPrefix(prefix))
        {
            result[key[prefix.Length..]] = Load(key, dtype);
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view.Dispose();
        _map.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"SafeTensorsFile({Path.GetFileName(FilePath)}, {Tensors.Count} tensors)";
}
