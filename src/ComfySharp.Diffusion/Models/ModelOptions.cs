using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Models;

/// <summary>A place in the UNet: <c>input</c>/<c>middle</c>/<c>output</c> and the block's index (the reference's transformer_options["block"]).</summary>
/// <param name="Kind">"input", "middle" or "output".</param>
/// <param name="Index">Index in input_blocks/output_blocks (0 for the middle block).</param>
public readonly record struct UNetBlock(string Kind, int Index)
{
    /// <summary>The middle block.</summary>
    public static UNetBlock Middle => new("middle", 0);
}

/// <summary>Which self-attention a replacement targets; a null <paramref name="TransformerIndex"/> matches every transformer of the block.</summary>
/// <param name="Block">The UNet block.</param>
/// <param name="TransformerIndex">Index of the transformer block inside the block's SpatialTransformer, or null.</param>
public readonly record struct AttentionSite(UNetBlock Block, int? TransformerIndex);

/// <summary>Changes the hidden state after an input block (the reference's input_block_patch / input_block_patch_after_skip).</summary>
public delegate Tensor InputBlockPatch(Tensor h, UNetHookContext context);

/// <summary>Changes the hidden state and the skip connection before an output block concatenates them (output_block_patch).</summary>
public delegate (Tensor H, Tensor Skip) OutputBlockPatch(Tensor h, Tensor skip, UNetHookContext context);

/// <summary>Changes the query input, key input and value input of a self-attention before projection (attn1_patch).</summary>
public delegate (Tensor Query, Tensor Key, Tensor Value) AttentionInputPatch(Tensor query, Tensor key, Tensor value, UNetHookContext context);

/// <summary>Changes a self-attention's output (after its output projection, before the residual; attn1_output_patch).</summary>
public delegate Tensor AttentionOutputPatch(Tensor output, UNetHookContext context);

/// <summary>Replaces the attention itself: projected q, k, v [B, N, heads·dim] → merged heads [B, N, heads·dim] (attn1 replace patch).</summary>
public delegate Tensor AttentionReplace(Tensor q, Tensor k, Tensor v, UNetHookContext context);

/// <summary>Rewrites the per-list predictions before they are mixed (the reference's sampler_pre_cfg_function); index 0 is the positive list.</summary>
public delegate Tensor[] PreCfgFunction(Tensor[] predictions, PreCfgStep step);

/// <summary>What a pre-CFG function sees besides the predictions (the reference's args of sampler_pre_cfg_function).</summary>
public sealed class PreCfgStep
{
    /// <summary>The latent being denoised.</summary>
    public required Tensor Input { get; init; }
    /// <summary>σ per batch item.</summary>
    public required Tensor Sigma { get; init; }
    /// <summary>The guidance scale.</summary>
    public required double CondScale { get; init; }
    /// <summary>Per list, whether it was evaluated; a skipped list (the negative at cfg 1, the reference's None) predicts zeros.</summary>
    public required IReadOnlyList<bool> Evaluated { get; init; }
}

/// <summary>Replaces cond/uncond mixing: returns the guided denoised prediction (the reference's sampler_cfg_function, which returns x − this).</summary>
public delegate Tensor CfgFunction(CfgStep step);

/// <summary>Rewrites the guided prediction after mixing (the reference's sampler_post_cfg_function).</summary>
public delegate Tensor PostCfgFunction(CfgStep step);

/// <summary>Rewrites the inpainting noise mask for the current σ (the reference's denoise_mask_function).</summary>
public delegate Tensor DenoiseMaskFunction(Tensor sigma, Tensor mask, DenoiseMaskStep step);

/// <summary>Everything a CFG hook sees for one model evaluation; predictions are denoised (x0) latents.</summary>
public sealed class CfgStep
{
    /// <summary>The latent being denoised.</summary>
    public required Tensor Input { get; init; }
    /// <summary>σ per batch item.</summary>
    public required Tensor Sigma { get; init; }
    /// <summary>The guidance scale.</summary>
    public required double CondScale { get; init; }
    /// <summary>The positive prediction.</summary>
    public required Tensor CondDenoised { get; init; }
    /// <summary>The negative prediction (zeros when it was skipped).</summary>
    public required Tensor UncondDenoised { get; init; }
    /// <summary>The guided prediction so far (for post-CFG hooks; the plain CFG mix for the CFG function).</summary>
    public required Tensor Denoised { get; init; }
    /// <summary>The options of this evaluation.</summary>
    public required ModelOptions Options { get; init; }
    /// <summary>Evaluates the positive list again for a latent with other options (PAG).</summary>
    public required Func<Tensor, ModelOptions, Tensor> EvaluateCond { get; init; }
    /// <summary>Evaluates the negative list again for a latent with other options (SAG); null when the rule has none.</summary>
    public Func<Tensor, ModelOptions, Tensor>? EvaluateUncond { get; init; }
    /// <summary>Evaluates another conditioning as a negative prompt (PerpNeg's empty prompt).</summary>
    public required Func<Conditioning, Tensor, Tensor> EvaluateConditioning { get; init; }
    /// <summary>The model's noise schedule.</summary>
    public required Sampling.ModelSamplingDiscrete Sampling { get; init; }
}

/// <summary>What a denoise-mask hook sees besides σ and the mask.</summary>
/// <param name="Sigmas">The σ list being sampled.</param>
/// <param name="Sampling">The model's noise schedule.</param>
public sealed record DenoiseMaskStep(IReadOnlyList<float> Sigmas, Sampling.ModelSamplingDiscrete Sampling);

/// <summary>
/// The runtime hooks a MODEL carries besides weight patches (the reference's model_options): CFG
/// functions, UNet block and attention patches, the denoise-mask function. Immutable: a patch node
/// makes a new value with one more hook, so the loader's cached model never changes.
/// </summary>
public sealed record ModelOptions
{
    /// <summary>No hooks.</summary>
    public static ModelOptions None { get; } = new();

    /// <summary>Run in order on the predictions before the mix.</summary>
    public IReadOnlyList<PreCfgFunction> PreCfgFunctions { get; init; } = [];
    /// <summary>Replaces the CFG mix (the last one set wins, as in the reference).</summary>
    public CfgFunction? SamplerCfgFunction { get; init; }
    /// <summary>Run in order after the CFG mix.</summary>
    public IReadOnlyList<PostCfgFunction> PostCfgFunctions { get; init; } = [];
    /// <summary>Always evaluate the negative list, even at cfg 1.</summary>
    public bool DisableCfg1Optimization { get; init; }
    /// <summary>After each input block, before its output is kept for the skip connection.</summary>
    public IReadOnlyList<InputBlockPatch> InputBlockPatches { get; init; } = [];
    /// <summary>After each input block, after its output is kept for the skip connection.</summary>
    public IReadOnlyList<InputBlockPatch> InputBlockPatchesAfterSkip { get; init; } = [];
    /// <summary>Before each output block.</summary>
    public IReadOnlyList<OutputBlockPatch> OutputBlockPatches { get; init; } = [];
    /// <summary>Before every self-attention.</summary>
    public IReadOnlyList<AttentionInputPatch> SelfAttentionPatches { get; init; } = [];
    /// <summary>After every self-attention.</summary>
    public IReadOnlyList<AttentionOutputPatch> SelfAttentionOutputPatches { get; init; } = [];
    /// <summary>Self-attentions replaced at given sites.</summary>
    public IReadOnlyDictionary<AttentionSite, AttentionReplace> SelfAttentionReplacements { get; init; } = new Dictionary<AttentionSite, AttentionReplace>();
    /// <summary>Cross-attention input patches (the reference's attn2_patch): query = hidden states, key = value = the text context, before the projections.</summary>
    public IReadOnlyList<AttentionInputPatch> CrossAttentionPatches { get; init; } = [];

    /// <summary>Rewrites the inpainting mask per step.</summary>
    public DenoiseMaskFunction? DenoiseMask { get; init; }

    /// <summary>True when any hook runs inside the UNet.</summary>
    public bool HasUNetHooks => InputBlockPatches.Count + InputBlockPatchesAfterSkip.Count + OutputBlockPatches.Count
        + SelfAttentionPatches.Count + SelfAttentionOutputPatches.Count + SelfAttentionReplacements.Count + CrossAttentionPatches.Count > 0;

    /// <summary>A copy with <paramref name="function"/> appended to the post-CFG functions.</summary>
    public ModelOptions WithPostCfg(PostCfgFunction function, bool disableCfg1Optimization = false) =>
        this with { PostCfgFunctions = [.. PostCfgFunctions, function], DisableCfg1Optimization = DisableCfg1Optimization || disableCfg1Optimization };

    /// <summary>A copy with <paramref name="function"/> appended to the pre-CFG functions.</summary>
    public ModelOptions WithPreCfg(PreCfgFunction function) => this with { PreCfgFunctions = [.. PreCfgFunctions, function] };

    /// <summary>A copy with the self-attention at <paramref name="site"/> replaced.</summary>
    public ModelOptions WithSelfAttentionReplacement(AttentionSite site, AttentionReplace replacement) =>
        this with { SelfAttentionReplacements = new Dictionary<AttentionSite, AttentionReplace>(SelfAttentionReplacements) { [site] = replacement } };

    /// <summary>The replacement for the self-attention of transformer <paramref name="transformerIndex"/> in <paramref name="block"/>, if any.</summary>
    public AttentionReplace? ReplacementFor(UNetBlock block, int transformerIndex) =>
        SelfAttentionReplacements.Count == 0 ? null
        : SelfAttentionReplacements.GetValueOrDefault(new AttentionSite(block, transformerIndex)) ?? SelfAttentionReplacements.GetValueOrDefault(new AttentionSite(block, null));
}
