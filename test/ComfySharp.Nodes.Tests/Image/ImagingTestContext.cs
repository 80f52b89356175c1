using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>A node context over a temporary ComfyUI directory layout, for calling nodes directly.</summary>
public sealed class ImagingTestContext : NodeContext, IServiceProvider, IDisposable
{
    private readonly Dictionary<Type, object> _services = [];

    public ImagingTestContext(ServerOptions? options = null)
    {
        Root = ComfySharp.TestKit.TestPaths.NewTempDirectory("comfysharp-images");
        Directories = new ComfyDirectories(Root);
        Directory.CreateDirectory(Directories.Input);
        _services[typeof(ComfyDirectories)] = Directories;
        if (options is not null)
        {
            _services[typeof(ServerOptions)] = options;
        }
    }

    public string Root { get; }
    public ComfyDirectories Directories { get; }
    public JsonObject PromptGraph { get; set; } = JsonNode.Parse("""{"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["2", 0]}}}""")!.AsObject();
    public JsonObject? PngInfo { get; set; }

    public override string PromptId => "test-prompt";
    public override string NodeId => "1";
    public override string DisplayNodeId => "1";
    public override int CallIndex => 0;
    public override JsonObject Prompt => PromptGraph;
    public override JsonObject? ExtraPngInfo => PngInfo;
    public override JsonObject ExtraData => [];
    public override IDynamicPrompt DynamicPrompt => throw new NotSupportedException();
    public override IServiceProvider Services => this;
    public override CancellationToken CancellationToken => CancellationToken.None;
    public override string PreviewMethod => "none";
    public override void ReportProgress(double value, double max, ComfySharp.Abstractions.PreviewImage? preview = null) { }
    public override void SendText(string text) { }
    public override string NextExpansionPrefix() => "1.0.0.";

    public object? GetService(Type serviceType) => _services.GetValueOrDefault(serviceType);

    public NodeOutput Run(ComfyNode node, params (InputSpec Input, object? Value)[] inputs)
    {
        var values = inputs.ToDictionary(i => i.Input.Name, i => i.Value);
        return node.ExecuteAsync(new NodeInputs(values), this).AsTask().GetAwaiter().GetResult();
    }

    public Tensor RunTensor(ComfyNode node, params (InputSpec Input, object? Value)[] inputs) => (Tensor)Run(node, inputs).Values[0]!;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Tensor helpers for exact comparisons.</summary>
public static class T
{
    public static Tensor Of(float[] values, params long[] shape) => tensor(values, shape);

    public static float[] Values(Tensor t) => ComfySharp.Torch.Images.ImageTensors.ToArray(t);

    public static void Equal(float[] expected, Tensor actual, float tolerance = 0f)
    {
        float[] values = Values(actual);
        Xunit.Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            Xunit.Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance, $"index {i}: expected {expected[i]:R}, got {values[i]:R}");
        }
    }

    public static void Shape(Tensor t, params long[] shape) => Xunit.Assert.Equal(shape, t.shape);

    /// <summary>A deterministic image [b, h, w, c] with distinct values.</summary>
    public static Tensor Ramp(long b, long h, long w, long c) =>
        (arange(b * h * w * c, ScalarType.Float32) / (b * h * w * c)).reshape(b, h, w, c);
}
