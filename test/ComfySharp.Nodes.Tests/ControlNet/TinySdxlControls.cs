using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.ControlNet;

/// <summary>Small SDXL-shaped UNets and control models (ControlNet, union ControlNet) with random weights in the published layouts.</summary>
internal static class TinySdxlControls
{
    /// <summary>SDXL's layout in small: no attention on the first level, 2-deep linear-projection transformers with 64-channel heads, ADM 2816.</summary>
    public static UNetConfig Config { get; } = new()
    {
        ModelChannels = 64,
        ChannelMult = [1, 2],
        NumResBlocks = 1,
        TransformerDepth = [0, 2],
        TransformerDepthMiddle = 2,
        NumHeads = -1,
        NumHeadChannels = 64,
        ContextDim = 32,
        UseLinearInTransformer = true,
        AdmInChannels = 2816,
    };

    public static UNetModel UNet(long seed = 21)
    {
        var unet = new UNetModel(Config, ModelPrediction.Epsilon, LatentFormats.Sdxl);
        TinyControlNets.Randomise(unet, seed, _ => false);
        return unet;
    }

    /// <summary>ControlNet weights without prefix; zero output convolutions when <paramref name="zeroOutputs"/>; identity <c>zero_convs.0</c> when <paramref name="identityFirst"/>.</summary>
    public static Dictionary<string, Tensor> Weights(bool zeroOutputs, long seed, UnionConfig? union = null, bool identityFirst = false)
    {
        using var model = new ControlNetModel(Config, 3, union);
        TinyControlNets.Randomise(model, seed, name => zeroOutputs && (name.StartsWith("zero_convs.", StringComparison.Ordinal) || name.StartsWith("middle_block_out.", StringComparison.Ordinal)));
        var weights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);
        if (identityFirst)
        {
            weights["zero_convs.0.0.weight"] = eye(Config.ModelChannels).reshape(Config.ModelChannels, Config.ModelChannels, 1, 1);
            weights["zero_convs.0.0.bias"] = zeros(Config.ModelChannels);
        }
        return weights;
    }

    /// <summary>The hint encoder computed directly from the weights: eight 3×3 convolutions (strides 1,1,2,1,2,1,2,1), SiLU between.</summary>
    public static Tensor HintEncoder(IReadOnlyDictionary<string, Tensor> w, Tensor hint)
    {
        int[] strides = [1, 1, 2, 1, 2, 1, 2, 1];
        Tensor x = hint;
        for (int i = 0; i < 8; i++)
        {
            x = F.conv2d(x, w[$"input_hint_block.{2 * i}.weight"], w[$"input_hint_block.{2 * i}.bias"], strides: [strides[i], strides[i]], padding: [1, 1]);
            if (i < 7)
            {
                x = F.silu(x);
            }
        }
        return x;
    }

    /// <summary>The first input block (the input convolution) computed directly.</summary>
    public static Tensor ConvIn(IReadOnlyDictionary<string, Tensor> w, Tensor x) =>
        F.conv2d(x, w["input_blocks.0.0.weight"], w["input_blocks.0.0.bias"], padding: [1, 1]);

    /// <summary>An SDXL conditioning entry: 77 tokens of <paramref name="width"/> plus a 1280-wide pooled output.</summary>
    public static ConditioningValue Cond(float value, long seed, int width = 32)
    {
        var generator = new Generator((ulong)seed);
        Tensor tokens = randn([1, 77, width], generator: generator).Add(value);
        Tensor pooled = randn([1, 1280], generator: generator);
        return [new ConditioningEntry(tokens, new Dictionary<string, object?> { [ConditioningKeys.PooledOutput] = pooled })];
    }
}
