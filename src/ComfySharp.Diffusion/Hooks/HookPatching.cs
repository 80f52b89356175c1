using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Hooks;

/// <summary>
/// The hooks of one sampling run over one diffusion network: the keyframe schedule state of every keyframe group
/// met, and the patching of the network's weights for one hook group at a time (the reference's
/// <c>prepare_hook_patches_current_keyframe</c> and <c>apply_hooks</c>/<c>patch_hooks</c>).
/// </summary>
public sealed class HookRun
{
    private readonly nn.Module _network;
    private readonly Func<double, double> _percentToSigma;
    private readonly double _maxSigma;
    private readonly Func<string, Tensor?> _originalOf;
    private readonly Dictionary<HookKeyframeGroup, HookKeyframeCursor> _cursors = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IHookWeights, IReadOnlyList<WeightPatch>> _patches = new(ReferenceEqualityComparer.Instance);
    private Dictionary<string, Tensor>? _parameters;

    /// <summary>
    /// A run over <paramref name="network"/> whose σ schedule starts at <paramref name="maxSigma"/>;
    /// <paramref name="originalOf"/> gives a parameter's weight before the model's own patches (null = unpatched).
    /// </summary>
    public HookRun(nn.Module network, Func<double, double> percentToSigma, double maxSigma, Func<string, Tensor?>? originalOf = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(percentToSigma);
        _network = network;
        _percentToSigma = percentToSigma;
        _maxSigma = maxSigma;
        _originalOf = originalOf ?? (_ => null);
    }

    /// <summary>Advances the schedules of <paramref name="group"/>'s hooks to σ <paramref name="sigma"/> (once per σ each).</summary>
    public void Prepare(HookGroup group, double sigma)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (WeightHook hook in group.Hooks)
        {
            Cursor(hook.Keyframes).Prepare(sigma);
        }
    }

    /// <summary>The current model strength of <paramref name="hook"/>: its strength times its keyframe's.</summary>
    public double ModelStrength(WeightHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return hook.StrengthModel * Cursor(hook.Keyframes).Strength;
    }

    /// <summary>
    /// Adds <paramref name="group"/>'s weights at their current strengths to the network in place; disposing restores
    /// the exact previous weights. Weights are summed in float32 and rounded to the parameter's type once, as the
    /// model's own patches are.
    /// </summary>
    public IDisposable Apply(HookGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var byKey = new Dictionary<string, List<(WeightPatch Patch, double Strength)>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (WeightHook hook in group.Hooks)
        {
            double strength = ModelStrength(hook);
            if (strength == 0)
            {
                // weight + 0·delta is the weight itself.
                continue;
            }
            foreach (WeightPatch patch in PatchesOf(hook.Weights))
            {
                if (!byKey.TryGetValue(patch.Key, out var list))
                {
                    byKey[patch.Key] = list = [];
                    order.Add(patch.Key);
                }
                list.Add((patch, patch.Strength * strength));
            }
        }
        var restore = new Restore();
        if (order.Count == 0)
        {
            return restore;
        }
        _parameters ??= _network.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        using var noGrad = no_grad();
        try
        {
            foreach (string key in order)
            {
                if (!_parameters.TryGetValue(key, out Tensor? parameter))
                {
                    throw new KeyNotFoundException($"A hook patch targets unknown parameter '{key}'.");
                }
                using var scope = NewDisposeScope();
                Tensor backup = parameter.clone().DetachFromDisposeScope();
                restore.Backups.Add((parameter, backup));
                Tensor original = (_originalOf(key) ?? backup).to_type(ScalarType.Float32);
                Tensor weight = parameter.to_type(ScalarType.Float32);
                foreach (var (patch, strength) in byKey[key])
                {
                    weight = weight.Add(patch.ComputeDelta(original).Mul(strength).to_type(ScalarType.Float32));
                }
                parameter.copy_(weight.to_type(parameter.dtype));
            }
        }
        catch
        {
            restore.Dispose();
            throw;
        }
        return restore;
    }

    private HookKeyframeCursor Cursor(HookKeyframeGroup keyframes)
    {
        if (!_cursors.TryGetValue(keyframes, out HookKeyframeCursor? cursor))
        {
            _cursors[keyframes] = cursor = new HookKeyframeCursor(keyframes, _percentToSigma, _maxSigma);
        }
        return cursor;
    }

    private IReadOnlyList<WeightPatch> PatchesOf(IHookWeights weights)
    {
        if (!_patches.TryGetValue(weights, out var patches))
        {
            _patches[weights] = patches = weights.ForDiffusionModel(_network);
        }
        return patches;
    }

    private sealed class Restore : IDisposable
    {
        public List<(Tensor Parameter, Tensor Backup)> Backups { get; } = [];

        public void Dispose()
        {
            using var noGrad = no_grad();
            foreach (var (parameter, backup) in Backups)
            {
                parameter.copy_(backup);
                backup.Dispose();
            }
            Backups.Clear();
        }
    }
}
