using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Mixes two lazily evaluated images by a mask, requesting only the images the mask needs (TESTPACK.md §6.2).</summary>
public sealed class TestLazyMixImages : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Image1 = new("image1", IOTypes.IMAGE) { Lazy = true };
    internal static readonly SocketInput<torch.Tensor> Image2 = new("image2", IOTypes.IMAGE) { Lazy = true };
    internal static readonly SocketInput<torch.Tensor> Mask = new("mask", IOTypes.MASK) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestLazyMixImages", DisplayName = "Lazy Mix Images", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Image1, Image2, Mask],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasLazyStatusCheck => true;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<string>> CheckLazyStatusAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var mask = inputs.Get(Mask);
        double lo = mask.min().item<float>();
        double hi = mask.max().item<float>();
        var needed = new List<string>();
        if (!inputs.HasValue(Image1) && !(lo == 1.0 && hi == 1.0)) { needed.Add("image1"); }
        if (!inputs.HasValue(Image2) && !(lo == 0.0 && hi == 0.0)) { needed.Add("image2"); }
        return ValueTask.FromResult<IReadOnlyList<string>>(needed);
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var mask = inputs.Get(Mask);
        double lo = mask.min().item<float>();
        double hi = mask.max().item<float>();
        if (lo == 0.0 && hi == 0.0) { return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Image1))); }
        if (lo == 1.0 && hi == 1.0) { return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Image2))); }
        var image1 = inputs.Get(Image1);
        var image2 = inputs.Get(Image2);
        using var scope = torch.NewDisposeScope();
        var m = mask;
        if (m.dim() == 2) { m = m.unsqueeze(0); }
        if (m.dim() == 3) { m = m.unsqueeze(-1); }
        long channels = image1.shape[^1];
        if (m.shape[^1] < channels) { m = m.repeat(1, 1, 1, channels); }
        var result = (image1 * m.RSub(1)).Add(image2 * m);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
