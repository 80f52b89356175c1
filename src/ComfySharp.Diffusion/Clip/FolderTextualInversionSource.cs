using ComfySharp.Abstractions.Files;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Clip;

/// <summary>
/// Textual inversions from the <c>embeddings</c> model folder: <c>name</c> or <c>name.safetensors</c>,
/// contained in the folder. Only safetensors files are read; the tensor used is <c>clip_l</c> when present,
/// otherwise the first key in sorted order (A1111's <c>emb_params</c> and single-tensor files).
/// </summary>
public sealed class FolderTextualInversionSource : ITextualInversionSource
{
    /// <summary>The model folder searched.</summary>
    public const string FolderName = "embeddings";

    /// <summary>The preferred key for a CLIP-L embedding in multi-encoder files.</summary>
    public const string ClipLKey = "clip_l";

    private const int MaxVectors = 1024;

    private readonly ModelFolders _folders;

    /// <summary>Creates the source over the server's model folders.</summary>
    public FolderTextualInversionSource(ModelFolders folders) => _folders = folders ?? throw new ArgumentNullException(nameof(folders));

    /// <inheritdoc />
    public float[][]? TryLoad(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? path = _folders.Resolve(FolderName, name + ModelFileFormat.SafeTensorsExtension)
            ?? (ModelFileFormat.IsSafeTensors(name) ? _folders.Resolve(FolderName, name) : null);
        if (path is null)
        {
            return null;
        }
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        string? key = file.Contains(ClipLKey) ? ClipLKey : file.Keys.Order(StringComparer.Ordinal).FirstOrDefault();
        if (key is null)
        {
            return null;
        }
        SafeTensorInfo info = file.GetInfo(key);
        if (info.Shape.Length is < 1 or > 2 || info.ElementCount == 0 || (info.Shape.Length == 2 && info.Shape[0] > MaxVectors))
        {
            return null;
        }
        using var scope = NewDisposeScope();
        Tensor vectors = file.Load(key, ScalarType.Float32);
        if (vectors.dim() == 1)
        {
            vectors = vectors.unsqueeze(0);
        }
        float[] flat = vectors.contiguous().data<float>().ToArray();
        int width = (int)vectors.shape[1];
        return [.. Enumerable.Range(0, (int)vectors.shape[0]).Select(r => flat.AsSpan(r * width, width).ToArray())];
    }
}
