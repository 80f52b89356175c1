using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Resizes an IMAGE [B, H, W, C] or a MASK [B, H, W] in one of eight ways chosen by a dynamic combo; the
/// output has the input's type. Sizes are rounded half to even, as Python's <c>round</c> does.
/// </summary>
public sealed class ResizeImageMaskNode : ComfyNode
{
    private const string Selector = "resize_type";

    /// <summary>The image or mask.</summary>
    public static readonly AnyInput Input = new("input", "COMFY_MATCHTYPE_V3")
    {
        ExtraOptions = new JsonObject { ["template"] = new JsonObject { ["allowed_types"] = "IMAGE,MASK", ["template_id"] = "input_type" } },
    };

    /// <summary>Scale factor.</summary>
    public static readonly FloatInput Multiplier = new(Selector + ".multiplier") { Default = 1.0, Min = 0.01, Max = 8.0, Step = 0.01 };
    /// <summary>Target width (0: from the height and the aspect ratio).</summary>
    public static readonly IntInput Width = new(Selector + ".width") { Default = 512, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Target height (0: from the width and the aspect ratio).</summary>
    public static readonly IntInput Height = new(Selector + ".height") { Default = 512, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Centre crop to keep the aspect ratio, or stretch.</summary>
    public static readonly ComboInput Crop = new(Selector + ".crop", Resampling.CropModes) { Default = "center" };
    /// <summary>The longer side's new length.</summary>
    public static readonly IntInput LongerSize = new(Selector + ".longer_size") { Default = 512, Min = 0, Max = 16384, Step = 1 };
    /// <summary>The shorter side's new length.</summary>
    public static readonly IntInput ShorterSize = new(Selector + ".shorter_size") { Default = 512, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Target area in units of 1024².</summary>
    public static readonly FloatInput Megapixels = new(Selector + ".megapixels") { Default = 1.0, Min = 0.01, Max = 16.0, Step = 0.01 };
    /// <summary>An image or mask whose size to take.</summary>
    public static readonly AnyInput Match = new(Selector + ".match", "IMAGE,MASK");

    /// <summary>How to resize.</summary>
    public static readonly DynamicComboInput ResizeType = new(Selector,
    [
        new("scale by multiplier", [Multiplier]),
        new("scale dimensions", [Width, Height, Crop]),
        new("scale longer dimension", [LongerSize]),
        new("scale shorter dimension", [ShorterSize]),
        new("scale width", [Width]),
        new("scale height", [Height]),
        new("scale total pixels", [Megapixels]),
        new("match size", [Match, Crop]),
    ]);

    /// <summary>Interpolation.</summary>
    public static readonly ComboInput ScaleMethod = new("scale_method", Resampling.ImageMethods) { Default = "area" };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ResizeImageMaskNode",
        DisplayName = "Resize Image/Mask",
        Category = "transform",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Input, ResizeType, ScaleMethod],
        Outputs = [new OutputSpec("COMFY_MATCHTYPE_V3", "resized") { MatchType = "input_type" }],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor input = inputs.Get(Input) as Tensor ?? throw new ArgumentException("ResizeImageMaskNode: 'input' must be an IMAGE or a MASK.");
        if (input.dim() is not (3 or 4))
        {
            throw new ArgumentException($"ResizeImageMaskNode: 'input' must be an IMAGE [B, H, W, C] or a MASK [B, H, W], got shape {ImageTensors.ShapeText(input)}.");
        }
        string method = inputs.Get(ScaleMethod);
        long w = input.shape[2], h = input.shape[1];
        string type = ResizeType.Selected(inputs);
        (long width, long height, string crop) = type switch
        {
            "scale by multiplier" => (Round(w * inputs.Get(Multiplier)), Round(h * inputs.Get(Multiplier)), "disabled"),
            "scale dimensions" => Dimensions(w, h, inputs.Get(Width), inputs.Get(Height), inputs.Get(Crop)),
            "scale longer dimension" => Side(w, h, inputs.Get(LongerSize), longer: true),
            "scale shorter dimension" => Side(w, h, inputs.Get(ShorterSize), longer: false),
            "scale width" => Dimensions(w, h, inputs.Get(Width), 0, "disabled"),
            "scale height" => Dimensions(w, h, 0, inputs.Get(Height), "disabled"),
            "scale total pixels" => TotalPixels(w, h, inputs.Get(Megapixels)),
            "match size" => MatchSize(inputs.Get(Match), inputs.Get(Crop)),
            _ => throw new ArgumentException($"ResizeImageMaskNode: unknown resize type '{type}'."),
        };
        if (width == w && height == h && crop == "disabled" && type == "scale dimensions")
        {
            return ValueTask.FromResult(NodeOutput.Of(input));
        }
        if (width < 1 || height < 1 || width > 16384 * 8 || height > 16384 * 8)
        {
            throw new ArgumentException($"ResizeImageMaskNode: the target size {width}x{height} is not a usable image size.");
        }
        return ValueTask.FromResult(NodeOutput.Of(Resize(input, width, height, method, crop)));
    }

    /// <summary>Resizes an IMAGE or a MASK with <see cref="Resampling.CommonUpscale"/>.</summary>
    public static Tensor Resize(Tensor input, long width, long height, string method, string crop)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() == 4)
        {
            return ImageScale.Resize(input, width, height, method, crop);
        }
        using var scope = NewDisposeScope();
        return Resampling.CommonUpscale(input.unsqueeze(1), width, height, method, crop).squeeze(1).contiguous().MoveToOuterDisposeScope();
    }

    private static long Round(double value) => (long)Math.Round(value, MidpointRounding.ToEven);

    private static (long, long, string) Dimensions(long w, long h, long width, long height, string crop)
    {
        if (width == 0 && height == 0)
        {
            // Nothing to do: the reference returns its input unchanged.
            return (w, h, "disabled");
        }
        if (width == 0)
        {
            width = Math.Max(1, Round(w * (double)height / h));
        }
        else if (height == 0)
        {
            height = Math.Max(1, Round(h * (double)width / w));
        }
        return (width, height, crop);
    }

    private static (long, long, string) Side(long w, long h, long size, bool longer)
    {
        bool heightIsTheSide = longer ? h > w : h < w;
        bool widthIsTheSide = longer ? w > h : w < h;
        if (heightIsTheSide)
        {
            return (Round(w / (double)h * size), size, "disabled");
        }
        return widthIsTheSide ? (size, Round(h / (double)w * size), "disabled") : (size, size, "disabled");
    }

    private static (long, long, string) TotalPixels(long w, long h, double megapixels)
    {
        long total = (long)(megapixels * 1024 * 1024);
        double scale = Math.Sqrt(total / (double)(w * h));
        return (Round(w * scale), Round(h * scale), "disabled");
    }

    private static (long, long, string) MatchSize(object? match, string crop)
    {
        Tensor reference = match as Tensor ?? throw new ArgumentException("ResizeImageMaskNode: 'match' must be an IMAGE or a MASK.");
        if (reference.dim() is not (3 or 4))
        {
            throw new ArgumentException($"ResizeImageMaskNode: 'match' must be an IMAGE or a MASK, got shape {ImageTensors.ShapeText(reference)}.");
        }
        return (reference.shape[2], reference.shape[1], crop);
    }
}
