using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using static TorchSharp.torch;

namespace ComfySharp.Torch.SafeTensors;

/// <summary>The planned layout of a safetensors file: the header bytes and each tensor's data range.</summary>
/// <param name="Header">The 8-byte length prefix followed by the padded JSON header.</param>
/// <param name="Tensors">The entries in data order with their offsets.</param>
public sealed record SafeTensorsLayout(byte[] Header, IReadOnlyList<SafeTensorInfo> Tensors)
{
    /// <summary>Size of the data section.</summary>
    public long DataLength => Tensors.Count == 0 ? 0 : Tensors[^1].DataEnd;

    /// <summary>Total file size.</summary>
    public long FileLength => Header.Length + DataLength;
}

/// <summary>Writes safetensors files (compact JSON header, keys in the given order, padded to 8 bytes).</summary>
public static class SafeTensorsWriter
{
    private static readonly JsonWriterOptions HeaderJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>
    /// Plans a file for tensors written back to back in the given order. The header lists
    /// <c>__metadata__</c> first (when given), then every tensor as <c>{"dtype","shape","data_offsets"}</c>.
    /// </summary>
    public static SafeTensorsLayout Plan(IEnumerable<(string Key, SafeTensorsDType DType, long[] Shape)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var infos = new List<SafeTensorInfo>();
        long offset = 0;
        foreach ((string key, SafeTensorsDType dtype, long[] shape) in tensors)
        {
            long bytes = shape.Aggregate((long)dtype.ElementSize(), (a, d) => checked(a * d));
            infos.Add(new SafeTensorInfo(key, dtype, shape, offset, offset + bytes));
            offset += bytes;
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, HeaderJson))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(SafeTensorsFile.MetadataKey);
                foreach ((string name, string value) in metadata)
                {
                    writer.WriteString(name, value);
                }
                writer.WriteEndObject();
            }
            foreach (SafeTensorInfo info in infos)
            {
                writer.WriteStartObject(info.Key);
                writer.WriteString("dtype", info.DType.ToHeaderName());
                writer.WriteStartArray("shape");
                foreach (long d in info.Shape)
                {
                    writer.WriteNumberValue(d);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(info.DataBegin);
                writer.WriteNumberValue(info.DataEnd);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int jsonLength = (int)json.Length;
        int padded = (jsonLength + 7) / 8 * 8;
        byte[] header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.GetBuffer().AsSpan(0, jsonLength).CopyTo(header.AsSpan(8));
        header.AsSpan(8 + jsonLength).Fill((byte)' ');
        return new SafeTensorsLayout(header, infos);
    }

    /// <summary>Writes CPU or device tensors to <paramref name="path"/> in the given order.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        List<KeyValuePair<string, Tensor>> list = [.. tensors];
        SafeTensorsLayout layout = Plan(list.Select(kv => (kv.Key, SafeTensorsDTypes.FromScalarType(kv.Value.dtype), kv.Value.shape)), metadata);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(layout.Header);
        foreach ((_, Tensor tensor) in list)
        {
            using (NewDisposeScope())
            {
                Tensor cpuTensor = tensor.cpu().contiguous();
                if (cpuTensor.NumberOfElements > 0)
                {
                    stream.Write(cpuTensor.bytes);
                }
            }
        }
    }

    /// <summary>The header JSON text (without the length prefix and padding) of a layout, for diagnostics.</summary>
    public static string HeaderText(SafeTensorsLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Encoding.UTF8.GetString(layout.Header, 8, layout.Header.Length - 8).TrimEnd(' ');
    }
}
