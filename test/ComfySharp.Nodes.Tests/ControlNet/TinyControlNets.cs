using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Lora;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.ControlNet;

/// <summary>A small SD1-shaped UNet and ControlNets for it, with random weights in the published key layouts.</summary>
internal static class TinyControlNets
{
    /// <summary>Two levels (32, 64 channels), attention on the first level and in the middle, 16-wide context.</summary>
    public static UNetConfig Config { get; } = new()
    {
        ModelChannels = 32,
        ChannelMult = [1, 2],
        NumResBlocks = 1,
        TransformerDepth = [1, 0],
        TransformerDepthMiddle = 1,
        NumHeads = 4,
        ContextDim = 16,
    };

    public static UNetModel UNet(long seed = 11)
    {
        var unet = new UNetModel(Config, ModelPrediction.Epsilon, LatentFormats.Sd15);
        Randomise(unet, seed, _ => false);
        return unet;
    }

    /// <summary>ControlNet weights in the original layout (<c>control_model.</c> prefix); the output convolutions are zero when <paramref name="zeroOutputs"/>.</summary>
    public static Dictionary<string, Tensor> Weights(bool zeroOutputs, long seed = 5)
    {
        using var model = new ControlNetModel(Config, 3);
        Randomise(model, seed, name => zeroOutputs && (name.StartsWith("zero_convs.", StringComparison.Ordinal) || name.StartsWith("middle_block_out.", StringComparison.Ordinal)));
        return model.named_parameters().ToDictionary(p => "control_model." + p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);
    }

    /// <summary>The same weights under the diffusers names.</summary>
    public static Dictionary<string, Tensor> ToDiffusers(Dictionary<string, Tensor> original)
    {
        var ldm = original.ToDictionary(kv => kv.Key["control_model.".Length..], kv => kv.Value, StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (diffusers, name) in LoraKeyMap.DiffusersNames(ldm.Keys.ToList()))
        {
            result[diffusers] = ldm[name];
        }
        foreach (var (name, value) in ldm)
        {
            string[] parts = name.Split('.');
            string? mapped = parts[0] switch
            {
                "zero_convs" => $"controlnet_down_blocks.{parts[1]}.{parts[^1]}",
                "middle_block_out" => $"controlnet_mid_block.{parts[^1]}",
                "input_hint_block" => parts[1] switch
                {
                    "0" => "controlnet_cond_embedding.conv_in." + parts[^1],
                    "14" => "controlnet_cond_embedding.conv_out." + parts[^1],
                    _ => $"controlnet_cond_embedding.blocks.{(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) / 2) - 1}.{parts[^1]}",
                },
                _ => null,
            };
            if (mapped is not null)
            {
                result[mapped] = value;
            }
        }
        Assert.Equal(ldm.Count, result.Count);
        return result;
    }

    public static string Write(string folder, string name, Dictionary<string, Tensor> weights)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        SafeTensorsWriter.Write(path, weights);
        return path;
    }

    public static void Randomise(nn.Module module, long seed, Func<string, bool> zero)
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            using Tensor value = zero(name) ? zeros_like(parameter) : randn(parameter.shape, generator: generator).Mul(0.1);
            parameter.copy_(value);
        }
    }
}
