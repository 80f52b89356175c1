using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using static ComfySharp.Nodes.Tests.ControlNet.SdxlControlNetTests;

namespace ComfySharp.Nodes.Tests.ControlNet;

/// <summary>Control-LoRA (SDXL <c>lora_controlnet</c> files): the sampled model's encoder weights, full replacements, and up·down deltas.</summary>
public sealed class ControlLoraTests : IDisposable
{
    private const int Rank = 4;
    private readonly string _root = TestPaths.NewTempDirectory("controlnet-lora");
    private readonly ModelNodeTestContext _context;

    public ControlLoraTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Layers the file patches with a low-rank delta (linear and 3×3 convolution, ADM and attention included).</summary>
    private static readonly string[] LoraLayers =
        ["time_embed.0", "label_emb.0.0", "input_blocks.1.0.in_layers.2", "input_blocks.3.1.transformer_blocks.0.attn1.to_q", "middle_block.1.proj_in"];

    /// <summary>Weights the file replaces in full although the UNet has them.</summary>
    private static readonly string[] FullOverrides = ["input_blocks.0.0.weight", "middle_block.0.in_layers.0.weight"];

    private static Dictionary<string, Tensor> File(bool zeroOutputs, long seed)
    {
        var generator = new Generator((ulong)seed);
        var unetNames = SharedUNet.Value.state_dict();
        var file = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [ControlLora.MarkerKey] = zeros(1) };
        using var shape = new ControlNetModel(TinySdxlControls.Config, 3);
        foreach (var (name, parameter) in shape.named_parameters())
        {
            bool output = name.StartsWith("zero_convs.", StringComparison.Ordinal) || name.StartsWith("middle_block_out.", StringComparison.Ordinal);
            bool fullInFile = !unetNames.ContainsKey(name) || FullOverrides.Contains(name) || name.EndsWith(".bias", StringComparison.Ordinal) && LoraLayers.Any(l => name == l + ".bias");
            if (fullInFile)
            {
                file[name] = zeroOutputs && output ? zeros_like(parameter) : randn(parameter.shape, generator: generator).Mul(0.1);
            }
        }
        foreach (string layer in LoraLayers)
        {
            long[] weight = unetNames[layer + ".weight"].shape;
            file[layer + ".up"] = randn(weight.Length == 4 ? [weight[0], Rank, 1, 1] : [weight[0], Rank], generator: generator).Mul(0.1);
            file[layer + ".down"] = randn(weight.Length == 4 ? [Rank, weight[1], weight[2], weight[3]] : [Rank, weight[1]], generator: generator).Mul(0.1);
        }
        return file;
    }

    /// <summary>The ControlNet the file describes, assembled directly: file weight, else the UNet's, plus up·down for patched layers.</summary>
    private static ControlNetModel Expected(Dictionary<string, Tensor> file)
    {
        var unet = SharedUNet.Value.state_dict();
        var network = new ControlNetModel(TinySdxlControls.Config, 3);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in network.named_parameters())
        {
            Tensor value = file.TryGetValue(name, out Tensor? full) ? full : unet[name];
            string layer = name[..name.LastIndexOf('.')];
            if (name.EndsWith(".weight", StringComparison.Ordinal) && file.TryGetValue(layer + ".up", out Tensor? up))
            {
                Tensor down = file[layer + ".down"];
                value = value.Add(up.reshape(up.shape[0], Rank).matmul(down.reshape(Rank, -1)).reshape(value.shape));
            }
            parameter.copy_(value);
        }
        return network;
    }

    [Fact]
    public void A_control_lora_is_the_models_encoder_with_the_files_weights_and_low_rank_deltas()
    {
        var file = File(zeroOutputs: false, seed: 51);
        var controlNet = Load(_context, _root, "control-lora-canny-rank4.safetensors", file);
        var lora = Assert.IsType<ControlLora>(controlNet.Network);
        Assert.Equal(3, lora.HintChannels);
        ControlNetModel built = lora.For(SharedUNet.Value);
        Assert.Same(built, lora.For(SharedUNet.Value));
        using ControlNetModel expected = Expected(file);
        var generator = new Generator(8);
        Tensor x = randn([2, 4, 8, 8], generator: generator), hint = rand([2, 3, 64, 64], generator: generator);
        Tensor t = tensor(new float[] { 300f, 300f }), ctx = randn([2, 77, 32], generator: generator), y = randn([2, 2816], generator: generator);
        var a = built.Forward(x, hint, t, ctx, y);
        var b = expected.Forward(x, hint, t, ctx, y);
        Assert.True(a.Middle.allclose(b.Middle, rtol: 1e-5, atol: 1e-6));
        Assert.All(a.Output.Zip(b.Output), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 1e-5, atol: 1e-6)));
        // Without its deltas the network differs: the up·down products are really applied.
        var withoutDeltas = Expected(file.Where(kv => !kv.Key.EndsWith(".up", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
        Assert.False(withoutDeltas.Forward(x, hint, t, ctx, y).Middle.allclose(a.Middle));
    }

    [Fact]
    public void In_a_workflow_a_zero_output_control_lora_leaves_the_sample_unchanged_and_a_random_one_changes_it()
    {
        var zero = Load(_context, _root, "zero-lora.safetensors", File(zeroOutputs: true, seed: 52));
        var random = Load(_context, _root, "random-lora.safetensors", File(zeroOutputs: false, seed: 53));
        ConditioningValue positive = TinySdxlControls.Cond(1f, 1), negative = TinySdxlControls.Cond(-1f, 2);
        Tensor plain = Sample(SharedUNet.Value, positive, negative);
        var (zp, zn) = Apply(zero, positive, negative, Hint());
        Assert.True(Same(plain, Sample(SharedUNet.Value, zp, zn)));
        var (rp, rn) = Apply(random, positive, negative, Hint());
        Tensor first = Sample(SharedUNet.Value, rp, rn);
        Assert.False(plain.allclose(first));
        Assert.True(Same(first, Sample(SharedUNet.Value, rp, rn)));
    }
}
