using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Logic;
using ComfySharp.Nodes.Mask;
using ComfySharp.Nodes.Tests.Image;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>The batch nodes with grown sockets, the dynamic-combo resize, the lazy switch and the custom combo, called directly.</summary>
public sealed class DynamicInputNodeTests
{
    private static NodeOutput Run(ComfyNode node, Dictionary<string, object?> values)
    {
        using var context = new ImagingTestContext();
        return node.ExecuteAsync(new NodeInputs(values), context).AsTask().GetAwaiter().GetResult();
    }

    private static Tensor Full(long[] shape, float value) => full(shape, value, ScalarType.Float32);

    [Fact]
    public void BatchImagesNode_adds_alpha_resizes_to_the_first_and_keeps_socket_order()
    {
        using var scope = NewDisposeScope();
        Tensor first = Full([1, 2, 3, 3], 0.25f);
        Tensor rgba = Full([2, 2, 3, 4], 0.5f);
        Tensor big = Full([1, 4, 6, 3], 0.75f);
        // Sockets 0, 1 and 3 connected (2 left empty), given out of order.
        var result = (Tensor)Run(new BatchImagesNode(), new()
        {
            ["images.image3"] = big,
            ["images.image0"] = first,
            ["images.image1"] = rgba,
        }).Values[0]!;
        Assert.Equal(new long[] { 4, 2, 3, 4 }, result.shape);
        float[] expected = [.. Enumerable.Repeat(new[] { 0.25f, 0.25f, 0.25f, 1f }, 6).SelectMany(p => p),
            .. Enumerable.Repeat(0.5f, 48), .. Enumerable.Repeat(new[] { 0.75f, 0.75f, 0.75f, 1f }, 6).SelectMany(p => p)];
        T.Equal(expected, result, 1e-6f);
    }

    [Fact]
    public void BatchMasksNode_resizes_to_the_first_mask()
    {
        using var scope = NewDisposeScope();
        var result = (Tensor)Run(new BatchMasksNode(), new()
        {
            ["masks.mask0"] = tensor(new float[] { 0, 1, 1, 0 }, [1L, 2, 2]),
            ["masks.mask1"] = Full([2, 4, 4], 0.5f),
            ["masks.mask2"] = tensor(new float[] { 0.25f, 0.25f, 0.25f, 0.25f }, [2L, 2]),
        }).Values[0]!;
        Assert.Equal(new long[] { 4, 2, 2 }, result.shape);
        T.Equal([0, 1, 1, 0, .. Enumerable.Repeat(0.5f, 8), 0.25f, 0.25f, 0.25f, 0.25f], result, 1e-6f);
    }

    [Fact]
    public void BatchLatentsNode_concatenates_samples_and_batch_indices_and_keeps_the_first_ones_entries()
    {
        using var scope = NewDisposeScope();
        Tensor mask = ones([1L, 1, 2, 2]);
        var first = new LatentValue(Full([1, 4, 2, 2], 1f)) { NoiseMask = mask };
        var second = new LatentValue(Full([2, 4, 2, 2], 2f)) { BatchIndex = [5, 6] };
        var result = (LatentValue)Run(new BatchLatentsNode(), new() { ["latents.latent0"] = first, ["latents.latent1"] = second }).Values[0]!;
        Assert.Equal(new long[] { 3, 4, 2, 2 }, result.Samples.shape);
        T.Equal([.. Enumerable.Repeat(1f, 16), .. Enumerable.Repeat(2f, 32)], result.Samples);
        Assert.Equal([0L, 5, 6], result.BatchIndex);
        Assert.Same(mask, result.NoiseMask);

        var wrong = new LatentValue(Full([1, 3, 2, 2], 0f));
        Assert.Throws<ArgumentException>(() => Run(new BatchLatentsNode(), new() { ["latents.latent0"] = first, ["latents.latent1"] = wrong }));
    }

    [Theory]
    [InlineData("scale by multiplier", "resize_type.multiplier", 0.75, 4, 3)] // 4.5 rounds half to even
    [InlineData("scale dimensions", null, 0.0, 3, 2)]
    [InlineData("scale longer dimension", "resize_type.longer_size", 12L, 12, 8)]
    [InlineData("scale shorter dimension", "resize_type.shorter_size", 2L, 3, 2)]
    [InlineData("scale width", "resize_type.width", 3L, 3, 2)]
    [InlineData("scale height", "resize_type.height", 8L, 12, 8)]
    [InlineData("scale total pixels", "resize_type.megapixels", 0.01, 125, 84)]
    public void ResizeImageMaskNode_computes_each_target_size(string type, string? input, object value, long width, long height)
    {
        using var scope = NewDisposeScope();
        var values = new Dictionary<string, object?>
        {
            ["input"] = Full([1, 4, 6, 3], 0.5f),
            ["resize_type"] = type,
            ["scale_method"] = "nearest-exact",
        };
        if (input is null)
        {
            values["resize_type.width"] = 3L;
            values["resize_type.height"] = 0L;
            values["resize_type.crop"] = "center";
        }
        else
        {
            values[input] = value;
        }
        var result = (Tensor)Run(new ResizeImageMaskNode(), values).Values[0]!;
        Assert.Equal(new long[] { 1, height, width, 3 }, result.shape);
    }

    [Fact]
    public void ResizeImageMaskNode_resizes_masks_and_matches_a_size()
    {
        using var scope = NewDisposeScope();
        // 2x2 mask, doubled with nearest-exact: every value becomes a 2x2 block.
        var doubled = (Tensor)Run(new ResizeImageMaskNode(), new()
        {
            ["input"] = tensor(new float[] { 0, 1, 0.5f, 0.25f }, [1L, 2, 2]),
            ["resize_type"] = "scale by multiplier",
            ["resize_type.multiplier"] = 2.0,
            ["scale_method"] = "nearest-exact",
        }).Values[0]!;
        Assert.Equal(new long[] { 1, 4, 4 }, doubled.shape);
        T.Equal([0, 0, 1, 1, 0, 0, 1, 1, 0.5f, 0.5f, 0.25f, 0.25f, 0.5f, 0.5f, 0.25f, 0.25f], doubled);

        var matched = (Tensor)Run(new ResizeImageMaskNode(), new()
        {
            ["input"] = Full([2, 4, 6, 3], 0.5f),
            ["resize_type"] = "match size",
            ["resize_type.match"] = Full([1, 5, 7], 0f),
            ["resize_type.crop"] = "disabled",
            ["scale_method"] = "bilinear",
        }).Values[0]!;
        Assert.Equal(new long[] { 2, 5, 7, 3 }, matched.shape);

        // Both sizes 0: the input comes back unchanged.
        Tensor input = Full([1, 4, 6, 3], 0.5f);
        var same = Run(new ResizeImageMaskNode(), new()
        {
            ["input"] = input,
            ["resize_type"] = "scale dimensions",
            ["resize_type.width"] = 0L,
            ["resize_type.height"] = 0L,
            ["resize_type.crop"] = "center",
            ["scale_method"] = "area",
        }).Values[0];
        Assert.Same(input, same);

        Assert.Throws<ArgumentException>(() => Run(new ResizeImageMaskNode(), new()
        {
            ["input"] = Full([4], 0f),
            ["resize_type"] = "scale by multiplier",
            ["resize_type.multiplier"] = 2.0,
            ["scale_method"] = "area",
        }));
    }

    [Fact]
    public async Task ComfySwitchNode_asks_only_for_the_chosen_branch()
    {
        using var context = new ImagingTestContext();
        var node = new ComfySwitchNode();
        var pending = new NodeInputs(new Dictionary<string, object?> { ["switch"] = true, ["on_false"] = null, ["on_true"] = null });
        Assert.Equal(["on_true"], await node.CheckLazyStatusAsync(pending, context));
        pending = new NodeInputs(new Dictionary<string, object?> { ["switch"] = false, ["on_false"] = null, ["on_true"] = null });
        Assert.Equal(["on_false"], await node.CheckLazyStatusAsync(pending, context));
        var ready = new NodeInputs(new Dictionary<string, object?> { ["switch"] = false, ["on_false"] = "no", ["on_true"] = null });
        Assert.Empty(await node.CheckLazyStatusAsync(ready, context));
        Assert.Equal("no", (await node.ExecuteAsync(ready, context)).Values[0]);
    }

    [Fact]
    public async Task CustomCombo_accepts_any_choice()
    {
        using var context = new ImagingTestContext();
        var node = new CustomCombo();
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["choice"] = "anything at all" });
        Assert.True((await node.ValidateInputsAsync(inputs, new Dictionary<string, string>(), context)).IsValid);
        Assert.Equal("anything at all", (await node.ExecuteAsync(inputs, context)).Values[0]);
    }

    [Fact]
    public void Schemas_expand_grown_and_revealed_inputs()
    {
        NodeSchema batch = new BatchImagesNode().Schema;
        var expanded = batch.ExpandInputs([]).ToList();
        Assert.Equal(50, expanded.Count);
        Assert.Equal(["images.image0", "images.image1"], expanded.Where(e => e.Required).Select(e => e.Spec.Name));
        Assert.Equal("IMAGE", batch.FindInput("images.image49")!.Type);
        Assert.Null(batch.FindInput("images.image50"));

        NodeSchema resize = new ResizeImageMaskNode().Schema;
        var live = new JsonObject { ["resize_type"] = "scale dimensions" };
        Assert.Equal(["input", "resize_type", "resize_type.width", "resize_type.height", "resize_type.crop", "scale_method"],
            resize.ExpandInputs(live).Select(e => e.Spec.Name));
        Assert.Equal("FLOAT", resize.FindInput("resize_type.megapixels")!.Type);
    }
}
