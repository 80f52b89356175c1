using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Blends image2 over image1 with a blend mode and factor.</summary>
public sealed class ImageBlend : ComfyNode
{
    /// <summary>The blend modes in the reference's order.</summary>
    public static readonly IReadOnlyList<string> Modes = ["normal", "multiply", "screen", "overlay", "soft_light", "difference"];

    /// <summary>Base images.</summary>
    public static readonly SocketInput<Tensor> Image1 = new("image1", IOTypes.IMAGE);
    /// <summary>Blended images.</summary>
    public static readonly SocketInput<Tensor> Image2 = new("image2", IOTypes.IMAGE);
    /// <summary>How much of the blend replaces image1.</summary>
    public static readonly FloatInput BlendFactor = new("blend_factor") { Default = 0.5, Min = 0.0, Max = 1.0, Step = 0.01 };
    /// <summary>The blend mode.</summary>
    public static readonly ComboInput BlendMode = new("blend_mode", Modes);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageBlend",
        Category = "image/postprocessing",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Image1, Image2, BlendFactor, BlendMode],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image1 = inputs.Get(Image1), image2 = inputs.Get(Image2);
        ImageTensors.RequireImage(image1, "image1");
        ImageTensors.RequireImage(image2, "image2");
        double factor = inputs.Get(BlendFactor);
        using var scope = NewDisposeScope();
        (image1, image2) = PostProcessing.AlphaFix(image1, image2);
        if (!image1.shape.SequenceEqual(image2.shape))
        {
            image2 = ImageScale.Resize(image2, image1.shape[2], image1.shape[1], "bicubic", "center");
            if (image2.shape[0] != image1.shape[0] && image2.shape[0] != 1 && image1.shape[0] != 1)
            {
                throw new ArgumentException($"ImageBlend: batch sizes {image1.shape[0]} and {image2.shape[0]} do not match.");
            }
        }
        Tensor blended = Blend(image1, image2, inputs.Get(BlendMode));
        Tensor result = image1.Mul(1 - factor).Add(blended.Mul(factor)).Clamp(0, 1);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }

    /// <summary>The per-pixel blend of a (base) and b (blend layer) for a mode.</summary>
    public static Tensor Blend(Tensor a, Tensor b, string mode) => mode switch
    {
        "normal" => b,
        "multiply" => a * b,
        "screen" => (a.RSub(1) * b.RSub(1)).RSub(1),
        "overlay" => where(a.Le(0.5), a.Mul(2) * b, (a.RSub(1).Mul(2) * b.RSub(1)).RSub(1)),
        "soft_light" => where(b.Le(0.5), a - (b.Mul(2).RSub(1) * a * a.RSub(1)), a.Add(b.Mul(2).Sub(1) * (SoftLightCurve(a) - a))),
        "difference" => a - b,
        _ => throw new ArgumentException($"Unsupported blend mode: {mode}"),
    };

    private static Tensor SoftLightCurve(Tensor x) => where(x.Le(0.25), (x.Mul(16).Sub(12) * x).Add(4) * x, x.sqrt());
}
