namespace ComfySharp.Torch.SafeTensors;

/// <summary>Decides whether a model file may be loaded: only safetensors is accepted.</summary>
public static class ModelFileFormat
{
    /// <summary>Extensions of pickle-based checkpoints (PyTorch <c>torch.save</c> and friends).</summary>
    public static readonly IReadOnlyList<string> PickleExtensions = [".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle"];

    /// <summary>The extension of the only accepted format.</summary>
    public const string SafeTensorsExtension = ".safetensors";

    /// <summary>True for a path whose extension is <c>.safetensors</c> (case-insensitive).</summary>
    public static bool IsSafeTensors(string path) =>
        string.Equals(Path.GetExtension(path), SafeTensorsExtension, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a path whose extension names a pickle-based checkpoint.</summary>
    public static bool IsPickle(string path) =>
        PickleExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="UnsafeModelFormatException"/> unless <paramref name="path"/> names a .safetensors file.</summary>
    public static void EnsureSafeTensors(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsSafeTensors(path))
        {
            return;
        }
        string name = Path.GetFileName(path);
        throw IsPickle(path)
            ? new UnsafeModelFormatException(
                $"Refusing to load '{name}': {Path.GetExtension(path)} files are Python pickles, and unpickling can run arbitrary code " +
                "embedded in the file. Convert it to .safetensors once in a trusted environment, e.g. in Python: " +
                "`from safetensors.torch import save_file; sd = torch.load(path, map_location='cpu', weights_only=True); " +
                "save_file(sd.get('state_dict', sd), 'model.safetensors')`, then load the .safetensors file.")
            : new UnsafeModelFormatException(
                $"Refusing to load '{name}': only .safetensors model files are supported.");
    }

    /// <summary>
    /// Throws <see cref="UnsafeModelFormatException"/> when the first bytes look like a pickle or a PyTorch zip
    /// archive, whatever the extension says.
    /// </summary>
    public static void EnsureNotPickleContent(ReadOnlySpan<byte> firstBytes, string path)
    {
        bool pickle = firstBytes.Length >= 2 && firstBytes[0] == 0x80 && firstBytes[1] is >= 2 and <= 5;
        bool zip = firstBytes.Length >= 4 && firstBytes[0] == (byte)'P' && firstBytes[1] == (byte)'K' && firstBytes[2] == 3 && firstBytes[3] == 4;
        if (pickle || zip)
        {
            throw new UnsafeModelFormatException(
                $"Refusing to load '{Path.GetFileName(path)}': its content is a PyTorch pickle/zip checkpoint renamed to .safetensors; " +
                "unpickling can run arbitrary code. Convert it to a real .safetensors file in a trusted environment.");
        }
    }
}
