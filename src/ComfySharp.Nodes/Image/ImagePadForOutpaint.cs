using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Adds grey borders for outpainting and a mask that is 1 on the borders and fades into the original near padded sides.</summary>
public sealed class ImagePadForOutpaint : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Pixels added on the left.</summary>
    public static readonly IntInput Left = new("left") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Pixels added on top.</summary>
    public static readonly IntInput Top = new("top") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Pixels added on the right.</summary>
    public static readonly IntInput Right = new("right") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Pixels added at the bottom.</summary>
    public static readonly IntInput Bottom = new("bottom") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Width of the mask's fade into the original picture.</summary>
    public static readonly IntInput Feathering = new("feathering") { Default = 40, Min = 0, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImagePadForOutpaint",
        DisplayName = "Pad Image for Outpainting",
        Category = "image",
        Required = [Image, Left, Top, Right, Bottom, Feathering],
        Outputs = [new OutputSpec(IOTypes.IMAGE), new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        long left = inputs.Get(Left), top = inputs.Get(Top), right = inputs.Get(Right), bottom = inputs.Get(Bottom);
        long feathering = inputs.Get(Feathering);
        long b = image.shape[0], h = image.shape[1], w = image.shape[2], c = image.shape[3];
        long newH = h + top + bottom, newW = w + left + right;
        if (newH * newW > ServerOptions.DefaultMaxImagePixels)
        {
            throw new ArgumentException($"The padded image ({newW}x{newH}) would be too large.");
        }
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "ImagePadForOutpaint", b, newH, newW, c);
        using var scope = NewDisposeScope();
        Tensor padded = ScalarMath.Full([b, newH, newW, c], 0.5, ScalarType.Float32);
        padded.narrow(1, top, h).narrow(2, left, w).copy_(image);
        Tensor mask = ones([newH, newW], ScalarType.Float32);
        float[] inner = new float[h * w];
        if (feathering > 0 && feathering * 2 < h && feathering * 2 < w)
        {
            for (long i = 0; i < h; i++)
            {
                for (long j = 0; j < w; j++)
                {
                    long dt = top != 0 ? i : h;
                    long db = bottom != 0 ? h - i : h;
                    long dl = left != 0 ? j : w;
                    long dr = right != 0 ? w - j : w;
                    long d = Math.Min(Math.Min(dt, db), Math.Min(dl, dr));
                    if (d >= feathering)
                    {
                        continue;
                    }
                    double v = (double)(feathering - d) / feathering;
                    inner[(i * w) + j] = (float)(v * v);
                }
            }
        }
        mask.narrow(0, top, h).narrow(1, left, w).copy_(tensor(inner, [h, w]));
        return ValueTask.FromResult(NodeOutput.Of(padded.MoveToOuterDisposeScope(), mask.unsqueeze(0).MoveToOuterDisposeScope()));
    }
}
