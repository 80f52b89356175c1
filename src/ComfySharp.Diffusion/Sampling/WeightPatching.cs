using System.Runtime.CompilerServices;
using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// Applies weight patches to a module in place and restores the original weights when disposed, so a
/// LoRA is active only while its branch of the graph samples and the checkpoint is never reloaded.
/// </summary>
public sealed class WeightPatching : IDisposable
{
    private readonly List<(Tensor Parameter, Tensor Backup)> _backups = [];
    private readonly Dictionary<string, Tensor> _backupsByName = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<nn.Module, StrongBox<long>> Generations = [];
    private nn.Module? _patched;

    private WeightPatching() { }

    /// <summary>
    /// How many times patches were applied to or removed from <paramref name="module"/>: anything built from its weights
    /// (a control-LoRA's ControlNet) is stale once this changes.
    /// </summary>
    public static long Generation(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Generations.TryGetValue(module, out StrongBox<long>? box) ? Interlocked.Read(ref box.Value) : 0;
    }

    private static void Bump(nn.Module module) => Interlocked.Increment(ref Generations.GetValue(module, _ => new StrongBox<long>()).Value);

    /// <summary>Adds strength · delta to every patched parameter (patches of one key in order).</summary>
    public static WeightPatching Apply(nn.Module module, IReadOnlyList<WeightPatch> patches, ScalarType? roundTo = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(patches);
        var result = new WeightPatching();
        if (patches.Count == 0)
        {
            return result;
        }
        var parameters = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters())
        {
            parameters[name] = p;
        }
        foreach (var (name, b) in module.named_buffers())
        {
            parameters.TryAdd(name, b);
        }
        using var noGrad = no_grad();
        foreach (var group in patches.GroupBy(p => p.Key))
        {
            if (!parameters.TryGetValue(group.Key, out Tensor? parameter))
            {
                throw new KeyNotFoundException($"Weight patch targets unknown parameter '{group.Key}'.");
            }
            using var scope = NewDisposeScope();
            Tensor backup = parameter.clone().DetachFromDisposeScope();
            Tensor weight = parameter.to_type(ScalarType.Float32);
            foreach (WeightPatch patch in group)
            {
                weight = weight.Add(patch.ComputeDelta(weight).Mul(patch.Strength).to_type(ScalarType.Float32));
            }
            parameter.copy_(weight.to_type(roundTo ?? parameter.dtype));
            result._backups.Add((parameter, backup));
            result._backupsByName[group.Key] = backup;
        }
        result._patched = module;
        Bump(module);
        return result;
    }

    /// <summary>The weight parameter <paramref name="name"/> had before these patches, or null when they left it alone.</summary>
    public Tensor? BackupOf(string name) => _backupsByName.TryGetValue(name, out Tensor? backup) ? backup : null;

    /// <inheritdoc />
    public void Dispose()
    {
        using var noGrad = no_grad();
        foreach (var (parameter, backup) in _backups)
        {
            parameter.copy_(backup);
            backup.Dispose();
        }
        _backups.Clear();
        _backupsByName.Clear();
        if (_patched is not null)
        {
            Bump(_patched);
            _patched = null;
        }
    }
}
