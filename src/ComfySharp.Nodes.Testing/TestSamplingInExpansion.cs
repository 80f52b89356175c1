using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Expands into a text-to-image pipeline built from embedded model objects (TESTPACK.md §6.2).</summary>
public sealed class TestSamplingInExpansion : ComfyNode
{
    internal static readonly AnyInput Model = new("model", IOTypes.MODEL) { OneElementSpec = true };
    internal static readonly AnyInput Clip = new("clip", IOTypes.CLIP) { OneElementSpec = true };
    internal static readonly AnyInput Vae = new("vae", IOTypes.VAE) { OneElementSpec = true };
    internal static readonly IntInput Seed = new("seed") { Default = 0, Min = 0, Max = ulong.MaxValue };
    internal static readonly IntInput Steps = new("steps") { Default = 20, Min = 1, Max = 100 };
    internal static readonly FloatInput Cfg = new("cfg") { Default = 7.0, Min = 0.0, Max = 30.0 };
    internal static readonly StringInput Prompt = new("prompt") { Multiline = true, ExtraOptions = new() { ["default"] = "a beautiful landscape with mountains and trees" } };
    internal static readonly StringInput NegativePrompt = new("negative_prompt") { Multiline = true, ExtraOptions = new() { ["default"] = "blurry, bad quality, worst quality" } };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestSamplingInExpansion", DisplayName = "Sampling In Expansion", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Model, Clip, Vae, Seed, Steps, Cfg, Prompt, NegativePrompt],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var g = new GraphBuilder(context.NextExpansionPrefix());
        object? clip = inputs.Get(Clip);
        var positive = g.Node("CLIPTextEncode", ("text", inputs.Get(Prompt)), ("clip", clip));
        var negative = g.Node("CLIPTextEncode", ("text", inputs.Get(NegativePrompt)), ("clip", clip));
        var latent = g.Node("EmptyLatentImage", ("width", 512L), ("height", 512L), ("batch_size", 1L));
        var sampler = g.Node("KSampler", ("model", inputs.Get(Model)), ("positive", positive.Out(0)), ("negative", negative.Out(0)),
            ("latent_image", latent.Out(0)), ("seed", inputs.Raw["seed"]), ("steps", inputs.Get(Steps)), ("cfg", inputs.Get(Cfg)),
            ("sampler_name", "euler_ancestral"), ("scheduler", "normal"));
        var decode = g.Node("VAEDecode", ("samples", sampler.Out(0)), ("vae", inputs.Get(Vae)));
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [decode.Out(0)]));
    }
}
