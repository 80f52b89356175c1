using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Clip;
using ComfySharp.Nodes.Conditioning;
using ComfySharp.Nodes.ControlNet;
using ComfySharp.Nodes.Sampling;
using ComfySharp.Nodes.Tests.ControlNet;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Conditioning;

/// <summary>CLIPTextEncodeControlnet: the second text's embedding goes to every entry, and ControlNets read it instead of the entry's own.</summary>
public sealed class CLIPTextEncodeControlnetTests
{
    private static readonly Lazy<ClipModel> Clip = new(() =>
    {
        // A one-layer, one-head CLIP of width 16 (the tiny ControlNet's context width) with the real vocabulary size.
        var encoder = new ClipTextEncoder(new ClipTextConfig(Width: 16, Layers: 1, Heads: 1, Intermediate: 16), ScalarType.Float32);
        using var generator = new Generator(4, CPU);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in encoder.named_parameters())
        {
            weights[name] = randn(p.shape, generator: generator).Mul(0.5);
        }
        foreach (var (name, b) in encoder.named_buffers())
        {
            weights[name] = b.clone();
        }
        encoder.LoadWeights(k => weights.GetValueOrDefault(k), weights.Keys);
        return new ClipModel(encoder);
    });

    private static readonly Lazy<ControlNetValue> ControlNet = new(() =>
    {
        string folder = TestPaths.NewTempDirectory("controlnet-text");
        string path = TinyControlNets.Write(folder, "text.safetensors", TinyControlNets.Weights(zeroOutputs: false, seed: 6));
        var network = ControlNetLoading.LoadFile(path, new ComfySharp.Torch.Models.ComputeOptions { Device = ComfySharp.Torch.Models.DevicePreference.Cpu });
        Directory.Delete(folder, recursive: true);
        return new ControlNetValue(network, []);
    });

    private static readonly Lazy<ModelPatcher> Model = new(() => new ModelPatcher(TinyControlNets.UNet()));

    private static object?[] Run(ComfyNode node, Dictionary<string, object?> values) =>
        node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values.ToArray();

    private static ConditioningValue Encode(string text) => (ConditioningValue)Run(new CLIPTextEncode(), new() { ["text"] = text, ["clip"] = Clip.Value })[0]!;

    private static ConditioningValue ForControlNet(ConditioningValue conditioning, string text) =>
        (ConditioningValue)Run(new CLIPTextEncodeControlnet(), new() { ["clip"] = Clip.Value, ["conditioning"] = conditioning, ["text"] = text })[0]!;

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static Tensor Sample(ConditioningValue positive, ConditioningValue negative)
    {
        var applied = Run(new ControlNetApplyAdvanced(), new()
        {
            ["positive"] = positive,
            ["negative"] = negative,
            ["control_net"] = ControlNet.Value,
            ["image"] = rand([1, 64, 64, 3], generator: new Generator(3)),
            ["strength"] = 1.0,
            ["start_percent"] = 0.0,
            ["end_percent"] = 1.0,
        });
        return ((LatentValue)Run(new KSampler(), new()
        {
            ["model"] = Model.Value,
            ["seed"] = 42L,
            ["steps"] = 3L,
            ["cfg"] = 5.0,
            ["sampler_name"] = "euler",
            ["scheduler"] = "normal",
            ["positive"] = applied[0],
            ["negative"] = applied[1],
            ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)),
            ["denoise"] = 1.0,
        })[0]!).Samples;
    }

    [Fact]
    public void Every_entry_keeps_its_own_embedding_and_gains_the_encoded_text()
    {
        ConditioningValue prompt = Encode("a red house");
        ConditioningValue two = [prompt[0], prompt[0].With(ConditioningKeys.Strength, 0.5)];
        ConditioningValue result = ForControlNet(two, "a blue door");
        ConditioningValue expected = Encode("a blue door");
        Assert.Equal(2, result.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Same(two[i].Embedding, result[i].Embedding);
            Assert.True(Same(expected[0].Embedding, Assert.IsType<Tensor>(result[i].Get(ConditioningKeys.CrossAttnControlNet), exactMatch: false)));
            Assert.True(Same((Tensor)expected[0].Get(ConditioningKeys.PooledOutput)!, (Tensor)result[i].Get(ConditioningKeys.PooledOutputControlNet)!));
        }
        Assert.Equal(0.5, result[1].Get(ConditioningKeys.Strength));
        Assert.Null(two[0].Get(ConditioningKeys.CrossAttnControlNet));
    }

    [Fact]
    public void Controlnets_read_the_second_text_and_the_unet_keeps_the_first()
    {
        ConditioningValue positive = Encode("a red house"), negative = Encode("blurry");
        Tensor plain = Sample(positive, negative);
        // The same text for the ControlNet: the sample is the one without the node, bit for bit.
        Assert.True(Same(plain, Sample(ForControlNet(positive, "a red house"), ForControlNet(negative, "blurry"))));
        // Another text reaches only the ControlNet: the sample changes, deterministically.
        Tensor other = Sample(ForControlNet(positive, "a blue door"), negative);
        Assert.False(plain.allclose(other));
        Assert.True(Same(other, Sample(ForControlNet(positive, "a blue door"), negative)));
    }
}
