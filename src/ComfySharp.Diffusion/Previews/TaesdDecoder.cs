using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Previews;

/// <summary>
/// The decoder half of TAESD, the tiny approximate autoencoder used for live previews: a soft clamp,
/// 3×3 convolutions, ReLU residual blocks and three nearest-neighbour 2× upsamplings (8× in all).
/// The published decoder files key each weight by the layer's position in that sequence
/// (<c>1.weight</c>, <c>3.conv.0.weight</c>, ...), so the network is described here as that sequence
/// and run functionally over the loaded tensors.
/// </summary>
public sealed class TaesdDecoder : IModelMemory, IDisposable
{
    /// <summary>Feature channels of every hidden layer.</summary>
    public const int Features = 64;

    /// <summary>Output pixels per latent cell along each side.</summary>
    public const int Upscale = 8;

    private static readonly LayerKind[] Sequence =
    [
        LayerKind.SoftClamp, LayerKind.InputConv, LayerKind.Relu,
        LayerKind.Block, LayerKind.Block, LayerKind.Block, LayerKind.Upsample, LayerKind.BiasFreeConv,
        LayerKind.Block, LayerKind.Block, LayerKind.Block, LayerKind.Upsample, LayerKind.BiasFreeConv,
        LayerKind.Block, LayerKind.Block, LayerKind.Block, LayerKind.Upsample, LayerKind.BiasFreeConv,
        LayerKind.Block, LayerKind.OutputConv,
    ];

    private static readonly int[] BlockConvs = [0, 2, 4];

    private readonly Dictionary<string, Tensor> _weights;

    private TaesdDecoder(int latentChannels, Dictionary<string, Tensor> weights)
    {
        LatentChannels = latentChannels;
        _weights = weights;
    }

    private enum LayerKind
    {
        SoftClamp,
        InputConv,
        Relu,
        Block,
        Upsample,
        BiasFreeConv,
        OutputConv,
    }

    /// <summary>Channels of the latents it decodes.</summary>
    public int LatentChannels { get; }

    /// <inheritdoc />
    public long WeightBytes => _weights.Values.Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Every tensor a decoder file must hold (no more, no fewer), with its shape.</summary>
    public static IReadOnlyList<(string Key, long[] Shape)> ExpectedTensors(int latentChannels = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latentChannels, 1);
        var list = new List<(string, long[])>();
        for (int i = 0; i < Sequence.Length; i++)
        {
            switch (Sequence[i])
            {
                case LayerKind.InputConv:
                    list.Add(($"{i}.weight", [Features, latentChannels, 3, 3]));
                    list.Add(($"{i}.bias", [Features]));
                    break;
                case LayerKind.Block:
                    foreach (int c in BlockConvs)
                    {
                        list.Add(($"{i}.conv.{c}.weight", [Features, Features, 3, 3]));
                        list.Add(($"{i}.conv.{c}.bias", [Features]));
                    }
                    break;
                case LayerKind.BiasFreeConv:
                    list.Add(($"{i}.weight", [Features, Features, 3, 3]));
                    break;
                case LayerKind.OutputConv:
                    list.Add(($"{i}.weight", [3, Features, 3, 3]));
                    list.Add(($"{i}.bias", [3]));
                    break;
                default:
                    break;
            }
        }
        return list;
    }

    /// <summary>
    /// Loads a decoder file strictly (any missing, unexpected or mis-shaped tensor is an error); the
    /// weights are held in float32 on the CPU and belong to no dispose scope.
    /// </summary>
    public static TaesdDecoder Load(string path, int latentChannels = 4)
    {
        ArgumentNullException.ThrowIfNull(path);
        ModelFileFormat.EnsureSafeTensors(path);
        using var file = SafeTensorsFile.Open(path);
        string what = $"TAESD decoder '{Path.GetFileName(path)}'";
        var expected = ExpectedTensors(latentChannels);
        var expectedKeys = expected.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(e => !file.Contains(e.Key)).Select(e => e.Key).ToList();
        var unexpected = file.Keys.Where(k => !expectedKeys.Contains(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            throw new WeightMismatchException(
                $"{what}: {missing.Count} missing key(s) [{string.Join(", ", missing.Take(5))}], {unexpected.Count} unexpected key(s) [{string.Join(", ", unexpected.Take(5))}].");
        }
        foreach (var (key, shape) in expected)
        {
            long[] actual = file.GetInfo(key).Shape;
            if (!actual.SequenceEqual(shape))
            {
                throw new WeightMismatchException(
                    $"{what}: '{key}' has shape [{string.Join(", ", actual)}] but the decoder expects [{string.Join(", ", shape)}].");
            }
        }
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, _) in expected)
            {
                Tensor t = file.Load(key, ScalarType.Float32);
                t.DetachFromDisposeScope();
                weights[key] = t;
            }
        }
        catch
        {
            foreach (Tensor t in weights.Values)
            {
                t.Dispose();
            }
            throw;
        }
        return new TaesdDecoder(latentChannels, weights);
    }

    /// <summary>
    /// Decodes latents in the sampler's space (VAE latent × scale factor, as the sampler's callback sees
    /// them) [B, C, h, w] to the network's raw RGB [B, 3, 8h, 8w], nominally 0..1.
    /// </summary>
    public Tensor Decode(Tensor latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        if (latent.dim() != 4 || latent.shape[1] != LatentChannels)
        {
            throw new ArgumentException($"Expected latents [B, {LatentChannels}, H, W], got [{string.Join(", ", latent.shape)}].", nameof(latent));
        }
        using var scope = NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        Tensor x = latent.to(ScalarType.Float32, CPU);
        for (int i = 0; i < Sequence.Length; i++)
        {
            x = Sequence[i] switch
            {
                LayerKind.SoftClamp => x.Div(3).tanh().Mul(3),
                LayerKind.InputConv or LayerKind.OutputConv => Conv(x, $"{i}.weight", $"{i}.bias"),
                LayerKind.BiasFreeConv => Conv(x, $"{i}.weight", null),
                LayerKind.Relu => F.relu(x),
                LayerKind.Upsample => F.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest),
                LayerKind.Block => Block(x, i),
                _ => throw new InvalidOperationException(),
            };
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The 8-bit preview of batch item 0 as the reference computes it: the decoder output mapped to
    /// −1..1 and back, clamped, scaled to 255 and truncated; [8h, 8w, 3] bytes.
    /// </summary>
    public PixelBuffer Preview(Tensor x0)
    {
        ArgumentNullException.ThrowIfNull(x0);
        using var scope = NewDisposeScope();
        Tensor rgb = Decode(x0.narrow(0, 0, 1))[0].Sub(0.5).Mul(2).permute(1, 2, 0);
        Tensor bytes = rgb.Add(1.0).Div(2.0).Clamp(0, 1).Mul(255).to_type(ScalarType.Byte).contiguous();
        return new PixelBuffer((int)bytes.shape[1], (int)bytes.shape[0], 3, bytes.data<byte>().ToArray());
    }

    /// <summary>The JPEG preview of a denoised latent, fitted into <paramref name="maxSize"/> like the latent2rgb one.</summary>
    public byte[] EncodePreviewJpeg(Tensor x0, int maxSize)
    {
        PixelBuffer image = Preview(x0);
        var (w, h) = LatentPreview.FitSize(image.Width, image.Height, maxSize);
        return ImageEncoder.EncodeJpeg(LatentPreview.ResizeBilinear(image, w, h), LatentPreview.JpegQuality);
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _weights.Values)
        {
            t.Dispose();
        }
        _weights.Clear();
    }

    private Tensor Conv(Tensor x, string weight, string? bias) =>
        F.conv2d(x, _weights[weight], bias is null ? null : _weights[bias], padding: [1, 1]);

    private Tensor Block(Tensor x, int index)
    {
        string p = $"{index}.conv.";
        Tensor h = F.relu(Conv(x, p + "0.weight", p + "0.bias"));
        h = F.relu(Conv(h, p + "2.weight", p + "2.bias"));
        h = Conv(h, p + "4.weight", p + "4.bias");
        return F.relu(h.Add(x));
    }
}
