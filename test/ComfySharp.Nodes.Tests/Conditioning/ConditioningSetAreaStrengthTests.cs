using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Conditioning;
using ComfySharp.Nodes.Tests.Sampling;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Conditioning;

public sealed class ConditioningSetAreaStrengthTests
{
    private static ConditioningValue Execute(Abstractions.ComfyNode node, Dictionary<string, object?> values) =>
        (ConditioningValue)node.ExecuteAsync(new Abstractions.NodeInputs(values), new TestNodeContext()).AsTask().Result.Values[0]!;

    [Fact]
    public void Sets_the_strength_of_every_entry_and_keeps_the_area()
    {
        ConditioningValue input = [new ConditioningEntry(full(1, 77, 8, 1f), new Dictionary<string, object?>()), new ConditioningEntry(full(1, 77, 8, 2f), new Dictionary<string, object?>())];
        ConditioningValue area = Execute(new ConditioningSetArea(), new() { ["conditioning"] = input, ["width"] = 256L, ["height"] = 128L, ["x"] = 64L, ["y"] = 8L, ["strength"] = 1.0 });
        ConditioningValue strong = Execute(new ConditioningSetAreaStrength(), new() { ["conditioning"] = area, ["strength"] = 2.5 });
        Assert.Equal(2, strong.Count);
        foreach (ConditioningEntry entry in strong)
        {
            Assert.Equal(2.5, entry.Get(ConditioningKeys.Strength));
            Assert.Equal(new long[] { 16, 32, 1, 8 }, (long[])entry.Get(ConditioningKeys.Area)!);
        }
        Assert.Same(area[1].Embedding, strong[1].Embedding);
        // The input conditioning is not changed.
        Assert.Equal(1.0, area[0].Get(ConditioningKeys.Strength));
        Assert.Null(input[0].Get(ConditioningKeys.Strength));
        // Without an area the strength is simply set.
        Assert.Equal(0.0, Execute(new ConditioningSetAreaStrength(), new() { ["conditioning"] = input, ["strength"] = 0.0 })[0].Get(ConditioningKeys.Strength));
    }
}
