using System.Buffers.Binary;
using ComfySharp.Abstractions.Files;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// The reference's <c>.latent</c> files: a safetensors file holding <c>latent_tensor</c> and, since the
/// format's first revision, an empty <c>latent_format_version_0</c> marker. Files without the marker were
/// written scaled by the SD1 factor 0.18215 and are divided by it on load.
/// </summary>
public static class LatentFiles
{
    /// <summary>The file extension.</summary>
    public const string Extension = ".latent";

    /// <summary>The key of the samples.</summary>
    public const string TensorKey = "latent_tensor";

    /// <summary>The empty tensor that marks a file written without the legacy scale.</summary>
    public const string VersionMarkerKey = "latent_format_version_0";

    /// <summary>Multiplier applied to files without the marker (1 / 0.18215).</summary>
    public const double LegacyMultiplier = 1.0 / 0.18215;

    // A latent file's header holds two entries and a few metadata strings (the workflow): 64 MiB is plenty.
    private const long MaxHeaderBytes = 64L << 20;

    /// <summary>The <c>.latent</c> files directly in the input directory, sorted (LoadLatent's options).</summary>
    public static IReadOnlyList<string> ListInputLatents(IServiceProvider services) =>
        Image.ImageFiles.ListInput(services, "*" + Extension).Where(n => n.EndsWith(Extension, StringComparison.Ordinal)).ToList();

    /// <summary>The full path of an annotated name (default: the input directory), or null when it escapes its directory or is missing.</summary>
    public static string? Resolve(IServiceProvider services, string name) => Image.ImageFiles.Resolve(services, name, DirectoryKind.Input);

    /// <summary>
    /// Reads the samples of a <c>.latent</c> file as float32, scaled by <see cref="LegacyMultiplier"/> when the
    /// marker is missing. Throws <see cref="SafeTensorsFormatException"/> with the file's name for anything
    /// that is not such a file. The result belongs to the caller's dispose scope.
    /// </summary>
    public static Tensor Read(string path, string displayName)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw new SafeTensorsFormatException($"'{displayName}' is not a latent file: it is too short ({fileLength} bytes).");
        }
        ModelFileFormat.EnsureNotPickleContent(prefix, path);
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (declared < 2 || declared > (ulong)MaxHeaderBytes || 8 + (long)declared > fileLength)
        {
            throw new SafeTensorsFormatException($"'{displayName}' is not a latent file: it declares a header of {declared} bytes in a file of {fileLength} bytes.");
        }
        byte[] header = new byte[(long)declared];
        stream.ReadExactly(header);
        long dataOffset = 8 + (long)declared;
        var (tensors, _) = SafeTensorsFile.ParseHeader(header, fileLength - dataOffset, displayName);
        SafeTensorInfo info = tensors.FirstOrDefault(t => t.Key == TensorKey)
            ?? throw new SafeTensorsFormatException($"'{displayName}' is not a latent file: it has no '{TensorKey}' tensor.");
        if (info.Shape.Length is < 3 or > 5)
        {
            throw new SafeTensorsFormatException($"'{displayName}': '{TensorKey}' has shape [{string.Join(", ", info.Shape)}]; a latent has 3 to 5 dimensions.");
        }
        if (info.ByteLength > int.MaxValue)
        {
            throw new SafeTensorsFormatException($"'{displayName}': '{TensorKey}' holds {info.ByteLength} bytes; at most {int.MaxValue} are supported.");
        }
        bool marked = tensors.Any(t => t.Key == VersionMarkerKey);
        using var scope = NewDisposeScope();
        Tensor raw = empty(info.Shape, info.DType.ToScalarType());
        stream.Position = dataOffset + info.DataBegin;
        if (info.ByteLength > 0)
        {
            stream.ReadExactly(raw.bytes);
        }
        Tensor samples = raw.to_type(ScalarType.Float32);
        if (!marked)
        {
            samples = samples.Mul(LegacyMultiplier);
        }
        return samples.MoveToOuterDisposeScope();
    }
}
