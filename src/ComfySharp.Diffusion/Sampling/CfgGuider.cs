using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using GligenCondition = ComfySharp.Diffusion.Gligen.GligenCondition;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// Classifier-free guidance over area-, mask- and timestep-aware conditioning: every active entry
/// of the positive and negative lists is evaluated on its area (entries of equal size share one
/// batched network call), their predictions are averaged with their weights, and the two averages
/// are mixed as uncond + (cond − uncond)·cfg.
/// </summary>
public sealed partial class CfgGuider
{
    private readonly IDiffusionNetwork _network;
    private readonly ModelSamplingDiscrete _sampling;
    private readonly GuidanceRule _rule;
    private readonly List<PreparedCond>[] _conds;
    private (ModelOptions Options, int[] CondOrUncond)? _hookBatch;
    private readonly ModelCondInputs _modelInputs;

    /// <summary>Prepares the conditioning for a latent of height <paramref name="latentHeight"/> and width <paramref name="latentWidth"/>.</summary>
    public CfgGuider(IDiffusionNetwork network, ModelSamplingDiscrete sampling, Conditioning positive, Conditioning negative, double cfg, long latentHeight, long latentWidth)
        : this(network, sampling, new CfgRule(positive, negative, cfg), latentHeight, latentWidth)
    {
    }

    /// <summary>
    /// Prepares the conditioning lists of <paramref name="rule"/> for a latent of the given size; <paramref name="modelInputs"/>
    /// carries what per-entry model inputs take from the run (seed, input latent, noise mask, for unCLIP and concat models).
    /// </summary>
    public CfgGuider(IDiffusionNetwork network, ModelSamplingDiscrete sampling, GuidanceRule rule, long latentHeight, long latentWidth, ModelCondInputs? modelInputs = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentNullException.ThrowIfNull(rule);
        _network = network;
        _sampling = sampling;
        _rule = rule;
        ModelCondInputs inputs = modelInputs ?? new ModelCondInputs([1, network.LatentFormat.Channels, latentHeight, latentWidth], 0);
        _modelInputs = inputs;
        _conds = rule.Conds
            .Select((list, k) => (list ?? []).Select(e => PreparedCond.From(e, sampling, latentHeight, latentWidth, network, inputs, negative: k == rule.NegativeIndex)).ToList())
            .ToArray();
        // Every area entry gets a counterpart of the same area in each other list, so that all
        // predictions are averaged over the same regions.
        for (int k = 0; k < _conds.Length; k++)
        {
            foreach (PreparedCond c in _conds[k].ToList())
            {
                for (int other = 0; other < _conds.Length; other++)
                {
                    if (other != k)
                    {
                        AddSameAreaIfNone(_conds[other], c);
                    }
                }
            }
        }
    }

    /// <summary>The guidance scale of plain CFG (1 for other rules).</summary>
    public double Cfg => _rule is CfgRule cfg ? cfg.Cfg : 1.0;

    /// <summary>Also compute the unconditional prediction when the rule could skip it (CFG++ samplers need it).</summary>
    public bool AlwaysComputeUncond { get; init; }

    /// <summary>The unconditional prediction of the last call (null when it was skipped or the rule has none).</summary>
    public Tensor? LastUncond { get; private set; }

    /// <summary>The model's runtime hooks (CFG functions, UNet patches).</summary>
    public ModelOptions Options { get; init; } = ModelOptions.None;

    /// <summary>The guided prediction of the clean latent for x at σ ([B]).</summary>
    public Tensor Predict(Tensor x, Tensor sigma)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        using var scope = NewDisposeScope();
        bool[] evaluate = _rule.Evaluate(AlwaysComputeUncond || Options.DisableCfg1Optimization);
        Tensor[] outputs = CalcCondBatch(_conds, x, sigma, evaluate, Options);
        Tensor result = CfgHooks.Guide(this, _rule, x, sigma, outputs, evaluate);
        LastUncond?.Dispose();
        LastUncond = _rule.UncondIndex is { } u && evaluate[u] ? outputs[u].DetachFromDisposeScope() : null;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The prediction of conditioning list <paramref name="list"/> of the rule for <paramref name="x"/>, with <paramref name="options"/> as hooks.</summary>
    internal Tensor EvaluateList(int list, Tensor x, Tensor sigma, ModelOptions options) =>
        CalcCondBatch([_conds[list]], x, sigma, [true], options)[0];

    /// <summary>The prediction of another conditioning, prepared as a negative prompt, with this guider's hooks.</summary>
    internal Tensor EvaluateConditioning(Conditioning conditioning, Tensor x, Tensor sigma)
    {
        var prepared = conditioning.Select(e => PreparedCond.From(e, _sampling, x.shape[2], x.shape[3], _network, _modelInputs, negative: true)).ToList();
        return CalcCondBatch([prepared], x, sigma, [true], Options)[0];
    }

    internal ModelSamplingDiscrete Sampling => _sampling;

    private Tensor[] CalcCondBatch(IReadOnlyList<List<PreparedCond>> conds, Tensor x, Tensor sigma, bool[] evaluate, ModelOptions options)
    {
        int n = conds.Count;
        var sums = new Tensor[n];
        var counts = new Tensor[n];
        for (int k = 0; k < n; k++)
        {
            sums[k] = zeros_like(x);
            counts[k] = ones_like(x).Mul(1e-37);
        }
        float sigma0 = sigma[0].item<float>();
        var groups = Groups(conds, x, sigma0, evaluate);
        foreach (var (hooks, toRun) in groups)
        {
            // Each hook group runs with its weights added to the network, and only its entries share a batch.
            using IDisposable? patched = hooks is null ? null : HookRunFor().Apply(hooks);
            while (toRun.Count > 0)
            {
                var first = toRun[0];
                var batchIndices = new List<int>();
                for (int i = 0; i < toRun.Count; i++)
                {
                    if (CanConcat(toRun[i].Input, first.Input))
                    {
                        batchIndices.Add(i);
                    }
                }
                // The reference pops the batch from the back, so later entries come first in the batch.
                batchIndices.Reverse();
                var batch = batchIndices.Select(i => toRun[i]).ToList();
                foreach (int i in batchIndices)
                {
                    toRun.RemoveAt(i);
                }
                Tensor inputX = cat(batch.Select(b => b.Input.X).ToArray(), 0);
                Tensor sigmas = cat(Enumerable.Repeat(sigma, batch.Count).ToArray(), 0);
                Tensor context = ConcatContexts(batch.Select(b => b.Input.Context).ToList());
                Tensor? y = batch.All(b => b.Input.Y is not null) ? cat(batch.Select(b => b.Input.Y!).ToArray(), 0) : null;
                Tensor? concat = batch.All(b => b.Input.Concat is not null) ? cat(batch.Select(b => b.Input.Concat!).ToArray(), 0) : null;
                Tensor? controlContext = first.Input.ControlContext is null ? null : ConcatContexts(batch.Select(b => b.Input.ControlContext!).ToList());
                Tensor output;
                _hookBatch = (options, batch.Select(b => b.Which).ToArray());
                try
                {
                    output = ApplyModel(inputX, sigmas, context, y, first.Input.Control, batch.Count, concat, first.Input.Gligen, controlContext);
                }
                finally
                {
                    _hookBatch = null;
                }
                Tensor[] chunks = output.chunk(batch.Count, 0);
                for (int o = 0; o < batch.Count; o++)
                {
                    var (input, which) = batch[o];
                    long[] a = input.Area;
                    Tensor sumView = sums[which].narrow(2, a[2], a[0]).narrow(3, a[3], a[1]);
                    Tensor countView = counts[which].narrow(2, a[2], a[0]).narrow(3, a[3], a[1]);
                    sumView.AddInPlace(chunks[o] * input.Mult);
                    countView.AddInPlace(input.Mult);
                }
            }
        }
        return Enumerable.Range(0, n).Select(k => sums[k] / counts[k]).ToArray();
    }

    /// <summary>One network evaluation: scale the input, map σ to the timestep, predict, convert to x0; <paramref name="y"/> is the ADM vector of SDXL models.</summary>
    public Tensor ApplyModel(Tensor x, Tensor sigma, Tensor context, Tensor? y = null) => ApplyModel(x, sigma, context, y, null, 1);

    /// <summary>
    /// One network evaluation with the residuals of <paramref name="control"/> (shared by the <paramref name="batchedNumber"/> entries of the batch);
    /// <paramref name="concat"/> (the reference's <c>c_concat</c>) is appended to the scaled input's channels;
    /// ControlNets read <paramref name="controlContext"/> instead of <paramref name="context"/> when it is given.
    /// </summary>
    public Tensor ApplyModel(Tensor x, Tensor sigma, Tensor context, Tensor? y, ControlNet.IControlProvider? control, int batchedNumber, Tensor? concat = null,
        GligenCondition? gligen = null, Tensor? controlContext = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        Device device = _network.Device;
        Tensor xc = ModelSamplingDiscrete.CalculateInput(sigma, x);
        if (concat is not null)
        {
            xc = cat([xc, concat.to_type(xc.dtype)], 1);
        }
        Tensor t = _sampling.Timestep(sigma).to_type(ScalarType.Float32);
        ControlNet.ControlResiduals? residuals = control?.GetControl(x, sigma, controlContext ?? context, batchedNumber, _sampling, y, _network);
        // The model's UNet hooks run in the UNet only, not in a ControlNet (the reference hands them only to the diffusion model).
        using IDisposable? hooks = _hookBatch is { } hb ? Models.UNetHookContext.Enter(hb.Options, sigma, hb.CondOrUncond, xc.shape) : null;
        Tensor Run() => residuals is null ? _network.Forward(
            xc.to(_network.ComputeType).to(device),
            t.to(device),
            context.to(_network.ComputeType).to(device),
            y)
            : ControlNet.ControlHook.Forward(_network, xc.to(_network.ComputeType).to(device), t.to(device), context.to(_network.ComputeType).to(device), y, residuals);
        // GLIGEN fuses its grounding tokens after each transformer block's self-attention (the reference's middle_patch).
        Tensor raw = gligen is null ? Run()
            : _network is UNet.UNetModel unet ? unet.WithMiddlePatch(gligen.Model.Patch(x.shape, gligen.Boxes), Run)
            : throw new NotSupportedException("GLIGEN conditioning needs an LDM UNet.");
        Tensor eps = raw.to(ScalarType.Float32).cpu();
        return _sampling.CalculateDenoised(sigma, eps, x).MoveToOuterDisposeScope();
    }

    private static bool CanConcat(AreaInput a, AreaInput b)
    {
        if (!a.X.shape.SequenceEqual(b.X.shape) || !ReferenceEquals(a.Control, b.Control) || !ReferenceEquals(a.Gligen, b.Gligen)
            || (a.Concat is null) != (b.Concat is null) || (a.Concat is not null && !a.Concat.shape.SequenceEqual(b.Concat!.shape))
            || (a.ControlContext is null) != (b.ControlContext is null)
            || (a.ControlContext is not null && !ContextsConcatenate(a.ControlContext.shape, b.ControlContext!.shape)))
        {
            return false;
        }
        return ContextsConcatenate(a.Context.shape, b.Context.shape);
    }

    private static bool ContextsConcatenate(long[] s1, long[] s2)
    {
        if (s1.SequenceEqual(s2))
        {
            return true;
        }
        if (s1[2] != s2[2])
        {
            return false;
        }
        long lcm = Lcm(s1[1], s2[1]);
        return lcm / Math.Min(s1[1], s2[1]) <= 4;
    }

    private static Tensor ConcatContexts(List<Tensor> contexts)
    {
        long length = contexts.Aggregate(1L, (acc, c) => Lcm(acc, c.shape[1]));
        return cat(contexts.Select(c => c.shape[1] < length ? c.repeat(1, length / c.shape[1], 1) : c).ToArray(), 0);
    }

    private static long Lcm(long a, long b) => a / Gcd(a, b) * b;

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    private static void AddSameAreaIfNone(List<PreparedCond> conds, PreparedCond c)
    {
        if (c.Area is not { } cArea)
        {
            return;
        }
        PreparedCond? smallest = null;
        foreach (PreparedCond x in conds)
        {
            if (x.Area is { } a)
            {
                bool inside = cArea[2] >= a[2] && cArea[3] >= a[3] && a[0] + a[2] >= cArea[0] + cArea[2] && a[1] + a[3] >= cArea[1] + cArea[3];
                if (inside)
                {
                    if (smallest is null || smallest.Area is null || smallest.Area[0] * smallest.Area[1] > a[0] * a[1])
                    {
                        smallest = x;
                    }
                }
            }
            else
            {
                smallest ??= x;
            }
        }
        if (smallest is null || (smallest.Area is { } sa && sa.SequenceEqual(cArea)))
        {
            return;
        }
        conds.Add(c with { Context = smallest.Context, Y = smallest.Y, Concat = smallest.Concat, ControlContext = smallest.ControlContext });
    }

    private sealed record AreaInput(Tensor X, Tensor Mult, Tensor Context, long[] Area, Tensor? Y)
    {
        public ControlNet.IControlProvider? Control { get; init; }

        public Tensor? Concat { get; init; }

        public GligenCondition? Gligen { get; init; }

        public Tensor? ControlContext { get; init; }
    }

    private sealed record PreparedCond(Tensor Context, long[]? Area, double Strength, Tensor? Mask, double MaskStrength, double? SigmaStart, double? SigmaEnd)
    {
        /// <summary>The ADM vector [1, adm] of SDXL models, null for others.</summary>
        public Tensor? Y { get; init; }

        public ControlNet.IControlProvider? Control { get; init; }

        /// <summary>The concat channels of inpainting / InstructPix2Pix models at the latent's size, null for others.</summary>
        public Tensor? Concat { get; init; }

        public GligenCondition? Gligen { get; init; }

        /// <summary>The hooks whose weights apply while this entry is evaluated.</summary>
        public Diffusion.Hooks.HookGroup? Hooks { get; init; }

        /// <summary>A default entry: it covers what the list's other entries leave uncovered.</summary>
        public bool IsDefault { get; init; }
        /// <summary>The text embedding ControlNets read instead of <see cref="Context"/> (cross_attn_controlnet), null for most entries.</summary>
        public Tensor? ControlContext { get; init; }

        public static PreparedCond From(ConditioningEntry entry, ModelSamplingDiscrete sampling, long h, long w, IDiffusionNetwork network, ModelCondInputs inputs, bool negative)
        {
            int? admChannels = network.AdmChannels;
            long[]? area = entry.Get(ConditioningKeys.Area) switch
            {
                PercentageArea p => [Math.Max(1, (long)Math.Round(p.Height * h, MidpointRounding.ToEven)), Math.Max(1, (long)Math.Round(p.Width * w, MidpointRounding.ToEven)),
                    (long)Math.Round(p.Y * h, MidpointRounding.ToEven), (long)Math.Round(p.X * w, MidpointRounding.ToEven)],
                long[] a when a.Length == 4 => (long[])a.Clone(),
                int[] a when a.Length == 4 => a.Select(v => (long)v).ToArray(),
                _ => null,
            };
            Tensor? mask = null;
            if (entry.Get(ConditioningKeys.Mask) is Tensor m)
            {
                using var scope = NewDisposeScope();
                Tensor mm = m.to_type(ScalarType.Float32).cpu();
                if (mm.dim() == 2)
                {
                    mm = mm.unsqueeze(0);
                }
                if (mm.shape[1] != h || mm.shape[2] != w)
                {
                    mm = nn.functional.interpolate(mm.unsqueeze(1), [h, w], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
                }
                if (entry.Get(ConditioningKeys.SetAreaToBounds) is true)
                {
                    Tensor bounds = mm.abs().max(0).values;
                    Tensor nonZero = bounds.nonzero();
                    if (nonZero.shape[0] == 0)
                    {
                        area = [8, 8, 0, 0];
                    }
                    else
                    {
                        long minY = nonZero[.., 0].min().item<long>(), maxY = nonZero[.., 0].max().item<long>();
                        long minX = nonZero[.., 1].min().item<long>(), maxX = nonZero[.., 1].max().item<long>();
                        area = [Math.Max(8, maxY - minY + 1), Math.Max(8, maxX - minX + 1), minY, minX];
                    }
                }
                mask = mm.MoveToOuterDisposeScope();
            }
            (double? start, double? end) = SigmaRange(entry, sampling);
            double strength = entry.Get(ConditioningKeys.Strength) is { } s ? Convert.ToDouble(s, System.Globalization.CultureInfo.InvariantCulture) : 1.0;
            double maskStrength = entry.Get(ConditioningKeys.MaskStrength) is { } ms ? Convert.ToDouble(ms, System.Globalization.CultureInfo.InvariantCulture) : 1.0;
            if (negative && admChannels is not null && entry.Get(UNet.AdmEncoding.PromptType) is null)
            {
                entry = entry.With(UNet.AdmEncoding.PromptType, "negative");
            }
            Tensor? y = UNet.AdmEncoding.Encode(admChannels, entry, h, w, inputs.Seed);
            return new PreparedCond(entry.Embedding, area, strength, mask, maskStrength, start, end)
            {
                Y = y,
                Concat = ConcatConditioning.For(network, entry, inputs),
                Gligen = entry.Get(GligenCondition.Key) as GligenCondition,
                Control = entry.Get(ControlNet.ControlHook.ControlKey) as ControlNet.IControlProvider,
                Hooks = entry.Get(Diffusion.Hooks.HookKeys.Hooks) as Diffusion.Hooks.HookGroup,
                IsDefault = entry.Get(Diffusion.Hooks.HookKeys.Default) is not null,
                ControlContext = entry.Get(ConditioningKeys.CrossAttnControlNet) as Tensor,
            };
        }

        public AreaInput? AreaAndMult(Tensor x, float sigma)
        {
            if (SigmaStart is { } start && sigma > start)
            {
                return null;
            }
            if (SigmaEnd is { } end && sigma < end)
            {
                return null;
            }
            long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
            long[] area = [h, w, 0, 0];
            Tensor input = x;
            if (Area is { } a)
            {
                area = (long[])a.Clone();
                area[0] = Math.Min(h - area[2], area[0]);
                area[1] = Math.Min(w - area[3], area[1]);
                input = x.narrow(2, area[2], area[0]).narrow(3, area[3], area[1]);
            }
            Tensor mult;
            if (Mask is not null)
            {
                Tensor mask = Mask[..(int)Math.Min(b, Mask.shape[0])];
                if (Area is not null)
                {
                    mask = mask.narrow(1, area[2], area[0]).narrow(2, area[3], area[1]);
                }
                mask = mask.Mul(MaskStrength).unsqueeze(1).repeat(b / mask.shape[0], c, 1, 1);
                mult = mask.Mul(Strength);
            }
            else
            {
                mult = ones_like(input).Mul(Strength);
                if (Area is not null)
                {
                    // Soften the inner edges of an area over up to 8 latent pixels so areas blend.
                    for (int dim = 0; dim < 2; dim++)
                    {
                        long size = mult.shape[2 + dim];
                        long rr = Math.Min(8, size / 4);
                        if (area[2 + dim] != 0)
                        {
                            for (long t = 0; t < rr; t++)
                            {
                                mult.narrow(2 + dim, t, 1).MulInPlace(1.0 / rr * (t + 1));
                            }
                        }
                        if (area[dim] + area[2 + dim] < x.shape[2 + dim])
                        {
                            for (long t = 0; t < rr; t++)
                            {
                                mult.narrow(2 + dim, area[dim] - 1 - t, 1).MulInPlace(1.0 / rr * (t + 1));
                            }
                        }
                    }
                }
            }
            Tensor context = Context.shape[0] == b ? Context : RepeatToBatch(Context, b);
            Tensor? y = Y is null ? null : RepeatToBatch(Y, b);
            Tensor? concat = Concat is null ? null : RepeatToBatch(Concat.narrow(2, area[2], area[0]).narrow(3, area[3], area[1]), b);
            Tensor? controlContext = ControlContext is null ? null : RepeatToBatch(ControlContext, b);
            return new AreaInput(input, mult, context, area, y) { Control = Control, Concat = concat, Gligen = Gligen, ControlContext = controlContext };
        }
    }

    /// <summary>Cuts or tiles a tensor along dim 0 to <paramref name="batch"/> items.</summary>
    public static Tensor RepeatToBatch(Tensor value, long batch)
    {
        ArgumentNullException.ThrowIfNull(value);
        long n = value.shape[0];
        if (n == batch)
        {
            return value;
        }
        if (n > batch)
        {
            return value[..(int)batch];
        }
        long[] reps = [(batch + n - 1) / n, .. Enumerable.Repeat(1L, (int)value.dim() - 1)];
        return value.repeat(reps)[..(int)batch];
    }
}
