using ComfySharp.Diffusion.Hypernetwork;
using ComfySharp.Diffusion.Models;
using ComfySharp.Nodes.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using Xunit;
using static ComfySharp.Nodes.Tests.ModelPatches.PatchTestKit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Loaders;

/// <summary>
/// HypernetworkLoader on a file in the flattened A1111 layout (<c>{width}.{0|1}.linear.{i}.weight|bias</c>, options in
/// the header metadata): the MLPs compute what their layers say, and the patch reaches the tiny UNet's cross-attention.
/// </summary>
public sealed class HypernetworkLoaderTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("hypernetwork");
    private readonly ModelNodeTestContext _context;
    private readonly Dictionary<string, Tensor> _weights;

    public HypernetworkLoaderTests()
    {
        _context = new ModelNodeTestContext(_root);
        using var generator = new Generator(5);
        // Width 16 = the tiny UNet's text context: the key and value inputs of every cross-attention.
        _weights = new()
        {
            ["16.0.linear.0.weight"] = randn([8, 16], generator: generator).Div(4.0), ["16.0.linear.0.bias"] = randn([8], generator: generator).Div(4.0),
            ["16.0.linear.1.weight"] = randn([16, 8], generator: generator).Div(4.0), ["16.0.linear.1.bias"] = randn([16], generator: generator).Div(4.0),
            ["16.1.linear.0.weight"] = randn([8, 16], generator: generator).Div(4.0), ["16.1.linear.0.bias"] = randn([8], generator: generator).Div(4.0),
            ["16.1.linear.1.weight"] = randn([16, 8], generator: generator).Div(4.0), ["16.1.linear.1.bias"] = randn([16], generator: generator).Div(4.0),
        };
        string folder = Directory.CreateDirectory(Path.Combine(_root, "models", "hypernetworks")).FullName;
        SafeTensorsWriter.Write(Path.Combine(folder, "tiny.safetensors"), _weights, new Dictionary<string, string> { ["activation_func"] = "relu" });
        SafeTensorsWriter.Write(Path.Combine(folder, "lora.safetensors"),
            new Dictionary<string, Tensor> { ["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"] = zeros(4, 8) });
    }

    [Fact]
    public void Each_network_is_linear_relu_linear_as_its_layers_say()
    {
        using var scope = NewDisposeScope();
        using var model = HypernetworkModel.Load(Path.Combine(_root, "models", "hypernetworks", "tiny.safetensors"));
        Assert.Equal([16L], model.Widths);
        Tensor x = randn(2, 3, 16);
        foreach (var (which, valueNet) in new[] { ("0", false), ("1", true) })
        {
            Tensor hidden = x.matmul(_weights[$"16.{which}.linear.0.weight"].t()) + _weights[$"16.{which}.linear.0.bias"];
            Tensor expected = hidden.relu().matmul(_weights[$"16.{which}.linear.1.weight"].t()) + _weights[$"16.{which}.linear.1.bias"];
            Tensor actual = model.Run(16, valueNet, x);
            Assert.True((expected - actual).abs().max().item<float>() < 1e-5, $"network {which}");
        }
        // Apply: k + mlp_k(k)·s and v + mlp_v(v)·s; another width passes unchanged.
        var (k, v) = model.Apply(x, x, 0.5);
        Assert.True((k - (x + model.Run(16, false, x).Mul(0.5))).abs().max().item<float>() < 1e-5);
        Assert.True((v - (x + model.Run(16, true, x).Mul(0.5))).abs().max().item<float>() < 1e-5);
        Tensor other = randn(2, 3, 32);
        Assert.Same(other, model.Apply(other, other, 1.0).Key);
    }

    [Fact]
    public void Strength_zero_is_the_plain_model_and_strength_one_changes_sampling()
    {
        using var scope = NewDisposeScope();
        ModelPatcher Load(double strength) => (ModelPatcher)new HypernetworkLoader().ExecuteAsync(new(new Dictionary<string, object?>
        {
            ["model"] = Model, ["hypernetwork_name"] = "tiny.safetensors", ["strength"] = strength,
        }), _context).AsTask().Result.Values[0]!;

        Tensor plain = KSample(Model);
        Close(plain, KSample(Load(0.0)), 1e-6);
        Tensor patched = KSample(Load(1.0));
        Differs(plain, patched);
        Same(patched, KSample(Load(1.0)));
        Same(plain, KSample(Model));
    }

    [Fact]
    public void A_file_of_another_kind_is_refused_naming_its_keys()
    {
        var error = Assert.ThrowsAny<Exception>(() => new HypernetworkLoader().ExecuteAsync(new(new Dictionary<string, object?>
        {
            ["model"] = Model, ["hypernetwork_name"] = "lora.safetensors", ["strength"] = 1.0,
        }), _context).AsTask().GetAwaiter().GetResult());
        Assert.Contains("is not a hypernetwork", error.Message, StringComparison.Ordinal);
        Assert.Contains("lora_unet_down_blocks_0", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
