using ComfySharp.Diffusion.Patches;
using ComfySharp.Nodes.ModelPatches;
using Xunit;
using static ComfySharp.Nodes.Tests.ModelPatches.PatchTestKit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.ModelPatches;

/// <summary>TomePatchModel: the bipartite matching on hand-checked tokens, and sampling with the patch.</summary>
public sealed class TokenMergingTests
{
    [Fact]
    public void Merging_pairs_the_most_similar_source_with_its_destination_and_unmerging_copies_it_back()
    {
        // A 2×2 image, one cell: destination = token 0 (top-left, no randomness); sources 1, 2, 3.
        // Cosine similarity to token 0: t1 = 0, t2 ≈ 0.999, t3 ≈ 0.707, so with r = 1 token 2 merges into token 0.
        Tensor x = tensor(new[] { 1f, 0f, 0f, 1f, 2f, 0.1f, 1f, 1f }).view(1, 4, 2);
        var (merge, unmerge) = TokenMergingPatch.BipartiteSoftMatching(x, 2, 2, 2, 2, 1, generator: null);
        Tensor merged = merge(x);
        // Unmerged sources by falling similarity (t3, t1), then the destination as the mean of t0 and t2.
        Same(tensor(new[] { 1f, 1f, 0f, 1f, 1.5f, 0.05f }).view(1, 3, 2), merged);
        Tensor back = unmerge(merged);
        Same(tensor(new[] { 1.5f, 0.05f, 0f, 1f, 1.5f, 0.05f, 1f, 1f }).view(1, 4, 2), back);
    }

    [Fact]
    public void Identical_tokens_survive_merge_and_unmerge_exactly_and_shapes_shrink_by_r()
    {
        Tensor x = cat([full(1, 16, 3, 1.5f), full(1, 16, 3, -0.25f)], 0);
        using var generator = new Generator(3);
        var (merge, unmerge) = TokenMergingPatch.BipartiteSoftMatching(x, 4, 4, 2, 2, 8, generator);
        Tensor merged = merge(x);
        Assert.Equal([2L, 8L, 3L], merged.shape);
        Same(x, unmerge(merged));

        // r beyond the number of sources (12) is capped.
        var (all, undo) = TokenMergingPatch.BipartiteSoftMatching(x, 4, 4, 2, 2, 100, generator);
        Assert.Equal([2L, 4L, 3L], all(x).shape);
        Same(x, undo(all(x)));
        // r = 0 or a one-token-wide image: nothing to do.
        var (none, _) = TokenMergingPatch.BipartiteSoftMatching(x, 4, 4, 2, 2, 0, generator);
        Assert.Same(x, none(x));
    }

    [Fact]
    public void Ratio_zero_leaves_sampling_unchanged_bit_for_bit_and_a_ratio_is_deterministic()
    {
        Tensor plain = KSample(Model, cfg: 4.0);
        var zero = One<Diffusion.Models.ModelPatcher>(new TomePatchModel(), new() { ["model"] = Model, ["ratio"] = 0.0 });
        Same(plain, KSample(zero, cfg: 4.0));

        var half = One<Diffusion.Models.ModelPatcher>(new TomePatchModel(), new() { ["model"] = Model, ["ratio"] = 0.5 });
        Tensor first = KSample(half, cfg: 4.0);
        Assert.Equal(plain.shape, first.shape);
        Assert.True(first.isfinite().all().item<bool>());
        Same(first, KSample(half, cfg: 4.0));
        Differs(plain, first);
    }
}
