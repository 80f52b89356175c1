using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Layers;

/// <summary>A checkpoint does not fit a module: keys are missing, unexpected, or shaped differently.</summary>
public sealed class WeightMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WeightMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public WeightMismatchException() { }

    /// <summary>Creates the exception.</summary>
    public WeightMismatchException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>Copies weights into a module, refusing any missing, unexpected or mis-shaped key.</summary>
public static class StrictLoading
{
    /// <summary>
    /// <see cref="Load"/>, then <paramref name="place"/> (device and dtype) and detach from dispose scopes, so the
    /// loaded module outlives the caller's scope; the module is disposed when any step fails.
    /// </summary>
    public static T LoadOrDispose<T>(T module, IReadOnlyCollection<string> keys, Func<string, Tensor> read, string what, Action<T> place)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(place);
        try
        {
            Load(module, keys, read, what);
            place(module);
            Checkpoints.CheckpointLoading.DetachFromScopes(module);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads every parameter and buffer of <paramref name="module"/> from <paramref name="keys"/> (names
    /// relative to the module) via <paramref name="read"/>, converting dtypes as needed. Tensors returned
    /// by <paramref name="read"/> are disposed after copying.
    /// </summary>
    public static void Load(nn.Module module, IReadOnlyCollection<string> keys, Func<string, Tensor> read, string what)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(read);
        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in module.named_parameters())
        {
            targets[name] = parameter;
        }
        foreach (var (name, buffer) in module.named_buffers())
        {
            targets[name] = buffer;
        }
        var keySet = new HashSet<string>(keys, StringComparer.Ordinal);
        var missing = targets.Keys.Where(k => !keySet.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var unexpected = keySet.Where(k => !targets.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            throw new WeightMismatchException(
                $"{what}: {missing.Count} missing key(s) [{Sample(missing)}], {unexpected.Count} unexpected key(s) [{Sample(unexpected)}].");
        }
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in targets)
        {
            using Tensor source = read(name);
            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new WeightMismatchException(
                    $"{what}: '{name}' has shape [{string.Join(", ", source.shape)}] but the model expects [{string.Join(", ", target.shape)}].");
            }
            target.copy_(source);
        }
    }

    private static string Sample(List<string> keys) =>
        keys.Count <= 5 ? string.Join(", ", keys) : string.Join(", ", keys.Take(5)) + ", ...";
}
