using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Tests.ControlNet;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Hooks;

/// <summary>
/// A tiny SD1-shaped UNet (context 16), a tiny CLIP-L-shaped text encoder (width 16, 2 layers, float32) and LoRA files
/// for both in the kohya key layout (<c>lora_unet_*</c>, <c>lora_te_*</c>), all with seeded random weights.
/// </summary>
internal sealed class HookTestModels : IDisposable
{
    public HookTestModels()
    {
        Root = TestPaths.NewTempDirectory("hooks");
        Loras = Path.Combine(Root, "models", "loras");
        Directory.CreateDirectory(Loras);
        UNet = TinyControlNets.UNet(11);
        Model = new ModelPatcher(UNet);
        Encoder = new ClipTextEncoder(new ClipTextConfig(Width: 16, Layers: 2, Heads: 2, Intermediate: 32), ScalarType.Float32);
        Randomise(Encoder, 3);
        Clip = new ClipModel(Encoder);
        Context = new TestNodeContext(services: TestNodeContext.WithModelFolders(Root));
        WriteLora("a.safetensors", 21);
        WriteLora("b.safetensors", 22);
    }

    public string Root { get; }

    public string Loras { get; }

    public Diffusion.UNet.UNetModel UNet { get; }

    public ModelPatcher Model { get; }

    public ClipTextEncoder Encoder { get; }

    public ClipModel Clip { get; }

    public TestNodeContext Context { get; }

    /// <summary>Runs a node and returns its outputs.</summary>
    public object?[] Run(ComfyNode node, params (string Name, object? Value)[] inputs)
    {
        var values = inputs.ToDictionary(i => i.Name, i => i.Value);
        return [.. node.ExecuteAsync(new NodeInputs(values), Context).AsTask().Result.Values];
    }

    /// <summary>Bit-identical tensors of the same shape.</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>A conditioning of one random [1, 77, 16] embedding.</summary>
    public static ConditioningValue Cond(long seed)
    {
        using var generator = new Generator((ulong)seed);
        return [new ConditioningEntry(randn([1, 77, 16], generator: generator), new Dictionary<string, object?>())];
    }

    /// <summary>The seeded noise of a 1×4×8×8 latent.</summary>
    public static Tensor Noise(long seed = 7)
    {
        using var generator = new Generator((ulong)seed);
        return randn([1, 4, 8, 8], generator: generator);
    }

    /// <summary>The normal schedule of <paramref name="steps"/> steps for the model.</summary>
    public static float[] Sigmas(ModelPatcher model, int steps) => Schedulers.Calculate(ModelSamplingDiscrete.For(model), "normal", steps);

    /// <summary>Euler sampling from noise (or from <paramref name="latent"/> with <paramref name="noise"/>) over <paramref name="sigmas"/>.</summary>
    public static Tensor Sample(ModelPatcher model, ConditioningValue positive, ConditioningValue negative, double cfg, float[] sigmas, Tensor? noise = null, Tensor? latent = null)
    {
        noise ??= Noise();
        return DiffusionSampling.Sample(new SamplingRequest
        {
            Model = model,
            Positive = positive,
            Negative = negative,
            Cfg = cfg,
            Sigmas = sigmas,
            Noise = noise,
            LatentImage = latent ?? zeros_like(noise),
            SamplerName = "euler",
            Seed = 1,
        });
    }

    /// <summary>A LoRA of rank 2 over every matrix and convolution of the UNet and every linear layer of the CLIP layers.</summary>
    private void WriteLora(string name, long seed)
    {
        using var generator = new Generator((ulong)seed);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (param, weight) in UNet.named_parameters())
        {
            if (weight.dim() >= 2 && param.EndsWith(".weight", StringComparison.Ordinal))
            {
                AddPair(tensors, "lora_unet_" + param[..^".weight".Length].Replace('.', '_'), weight.shape, generator);
            }
        }
        var te = Diffusion.Lora.LoraKeyMap.ForTextEncoder(Encoder.named_parameters().Select(p => p.name).ToList());
        var parameters = Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape, StringComparer.Ordinal);
        foreach (var (key, param) in te.Where(kv => kv.Key.StartsWith("lora_te_", StringComparison.Ordinal)))
        {
            AddPair(tensors, key, parameters[param], generator);
        }
        SafeTensorsWriter.Write(Path.Combine(Loras, name), tensors);
    }

    private static void AddPair(Dictionary<string, Tensor> tensors, string key, long[] shape, Generator generator)
    {
        const long rank = 2;
        long[] down = shape.Length == 4 ? [rank, shape[1], shape[2], shape[3]] : [rank, shape[1]];
        long[] up = shape.Length == 4 ? [shape[0], rank, 1, 1] : [shape[0], rank];
        tensors[key + ".lora_down.weight"] = randn(down, generator: generator).Mul(0.2);
        tensors[key + ".lora_up.weight"] = randn(up, generator: generator).Mul(0.2);
        tensors[key + ".alpha"] = tensor(new float[] { 1.5f });
    }

    private static void Randomise(nn.Module module, long seed)
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            using Tensor value = name.EndsWith("layer_norm1.weight", StringComparison.Ordinal) || name.EndsWith("layer_norm2.weight", StringComparison.Ordinal)
                || name.EndsWith("final_layer_norm.weight", StringComparison.Ordinal)
                ? ones_like(parameter)
                : randn(parameter.shape, generator: generator).Mul(0.1).to_type(parameter.dtype);
            parameter.copy_(value);
        }
    }

    public void Dispose()
    {
        UNet.Dispose();
        Encoder.Dispose();
    }
}
