using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Engine.Tests.Support;

/// <summary>Stand-ins with the exact schemas of core nodes the spec's samples use (the real ones live in other branches).</summary>
public sealed class EmptyImage : ComfyNode
{
    public static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    public static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    public static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 4096 };
    public static readonly IntInput Color = new("color") { Default = 0, Min = 0, Max = 0xFFFFFF, Step = 1, Display = "color" };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "EmptyImage", Category = "image",
        Required = [Width, Height, BatchSize, Color],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.Of(torch.zeros([inputs.Get(BatchSize), inputs.Get(Height), inputs.Get(Width), 3])));
}

public sealed class EmptyLatentImage : ComfyNode
{
    public static readonly IntInput Width = new("width") { Default = 512, Min = 16, Max = 16384, Step = 8 };
    public static readonly IntInput Height = new("height") { Default = 512, Min = 16, Max = 16384, Step = 8 };
    public static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 4096 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "EmptyLatentImage", Category = "latent",
        Required = [Width, Height, BatchSize],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.Of(new object()));
}

public sealed class ImageInvert : ComfyNode
{
    public static readonly SocketInput<torch.Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageInvert", Category = "image",
        Required = [Image],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.Of(1 - inputs.Get(Image)));
}

/// <summary>Records what it receives as UI: per image, its mean pixel (8-bit, truncated) and shape; otherwise the Python text.</summary>
public sealed class SaveImage : ComfyNode
{
    public static readonly SocketInput<object?> Images = new("images", IOTypes.IMAGE) { Tooltip = "The images to save." };
    public static readonly StringInput FilenamePrefix = new("filename_prefix") { Default = "ComfyUI", Tooltip = "The prefix for the file to save." };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SaveImage", DisplayName = "Save Image", Category = "image", OutputNode = true,
        Required = [Images, FilenamePrefix],
        Hidden = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)],
    };

    public static int Writes;

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        Interlocked.Increment(ref Writes);
        return ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["images"] = Describe(inputs.Raw["images"]) }));
    }

    public static JsonArray Describe(object? value)
    {
        var list = new JsonArray();
        if (value is torch.Tensor t)
        {
            for (long i = 0; i < t.shape[0]; i++)
            {
                float mean = t[i].mean().item<float>();
                list.Add(new JsonObject
                {
                    ["pixel"] = (int)Math.Clamp(Math.Floor(255 * mean), 0, 255),
                    ["shape"] = string.Join("x", t[i].shape.Select(s => s.ToString(CultureInfo.InvariantCulture))),
                });
            }
        }
        else
        {
            list.Add(value?.ToString());
        }
        return list;
    }
}

public sealed class PreviewImage : ComfyNode
{
    public static readonly SocketInput<object?> Images = new("images", IOTypes.IMAGE) { Tooltip = "The images to preview." };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PreviewImage", DisplayName = "Preview Image", Category = "image", OutputNode = true,
        Required = [Images],
        Hidden = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)],
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["images"] = SaveImage.Describe(inputs.Raw["images"]) }));
}

/// <summary>A trivial node for large graphs (benchmarks, deep chains).</summary>
public sealed class TestAddOne : ComfyNode
{
    public static readonly AnyInput Value = new("value", IOTypes.INT) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAddOne", Category = "testing",
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.INT)],
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.Of((long)inputs.Raw["value"]! + 1));
}

/// <summary>An output node that records its values as text UI.</summary>
public sealed class TestCapture : ComfyNode
{
    public static readonly AnyInput Value = new("value") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestCapture", Category = "testing", OutputNode = true,
        Required = [Value],
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["text"] = new JsonArray(Python.Py.Str(inputs.Raw["value"])) }));
}

/// <summary>An output node that records the preview method the executor gave it.</summary>
public sealed class TestPreviewMethodProbe : ComfyNode
{
    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestPreviewMethodProbe", Category = "testing", OutputNode = true,
    };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["text"] = new JsonArray(context.PreviewMethod) }));
}
