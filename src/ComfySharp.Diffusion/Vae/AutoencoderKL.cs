using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Diffusion.Vae;

/// <summary>The shape of a KL autoencoder (the reference's <c>ddconfig</c>).</summary>
public sealed record AutoencoderConfig
{
    /// <summary>Base channels.</summary>
    public int Channels { get; init; } = 128;
    /// <summary>Channel multiplier per level.</summary>
    public IReadOnlyList<int> ChannelMult { get; init; } = [1, 2, 4, 4];
    /// <summary>ResNet blocks per encoder level (decoder levels have one more).</summary>
    public int NumResBlocks { get; init; } = 2;
    /// <summary>Latent channels.</summary>
    public int LatentChannels { get; init; } = 4;
    /// <summary>Image channels.</summary>
    public int ImageChannels { get; init; } = 3;

    /// <summary>Pixels per latent cell along each side.</summary>
    public int DownscaleRatio => 1 << (ChannelMult.Count - 1);

    /// <summary>The SD1.x/SD2.x/SDXL VAE.</summary>
    public static AutoencoderConfig Sd { get; } = new();
}

/// <summary>Pre-activation residual block (norm1/conv1/norm2/conv2, 1×1 <c>nin_shortcut</c> when widths differ).</summary>
public sealed class VaeResnetBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // Fields are discovered by RegisterComponents; their names are checkpoint keys.
    private GroupNormLayer norm1;
    private Conv2dLayer conv1;
    private GroupNormLayer norm2;
    private Conv2dLayer conv2;
    private Conv2dLayer? nin_shortcut;
#pragma warning restore IDE0044

    /// <summary>Creates the block.</summary>
    public VaeResnetBlock(int inChannels, int outChannels) : base(nameof(VaeResnetBlock))
    {
        norm1 = new GroupNormLayer(32, inChannels, 1e-6);
        conv1 = new Conv2dLayer(inChannels, outChannels, 3, padding: 1);
        norm2 = new GroupNormLayer(32, outChannels, 1e-6);
        conv2 = new Conv2dLayer(outChannels, outChannels, 3, padding: 1);
        nin_shortcut = inChannels == outChannels ? null : new Conv2dLayer(inChannels, outChannels, 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = conv1.forward(F.silu(norm1.forward(input)));
        h = conv2.forward(F.silu(norm2.forward(h)));
        Tensor skip = nin_shortcut is null ? input : nin_shortcut.forward(input);
        return skip.Add(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Single-head self-attention over all pixels with 1×1-convolution projections.</summary>
public sealed class VaeAttnBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private GroupNormLayer norm;
    private Conv2dLayer q;
    private Conv2dLayer k;
    private Conv2dLayer v;
    private Conv2dLayer proj_out;
#pragma warning restore IDE0044

    /// <summary>Creates the block.</summary>
    public VaeAttnBlock(int channels) : base(nameof(VaeAttnBlock))
    {
        norm = new GroupNormLayer(32, channels, 1e-6);
        q = new Conv2dLayer(channels, channels, 1);
        k = new Conv2dLayer(channels, channels, 1);
        v = new Conv2dLayer(channels, channels, 1);
        proj_out = new Conv2dLayer(channels, channels, 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        Tensor n = norm.forward(input);
        Tensor Tokens(Tensor t) => t.reshape(b, 1, c, h * w).transpose(2, 3);
        Tensor attended = F.scaled_dot_product_attention(Tokens(q.forward(n)), Tokens(k.forward(n)), Tokens(v.forward(n)));
        Tensor back = attended.transpose(2, 3).reshape(b, c, h, w);
        return input.Add(proj_out.forward(back)).MoveToOuterDisposeScope();
    }
}

/// <summary>The middle of encoder and decoder: ResNet, attention, ResNet.</summary>
public sealed class VaeMid : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private VaeResnetBlock block_1;
    private VaeAttnBlock attn_1;
    private VaeResnetBlock block_2;
#pragma warning restore IDE0044

    /// <summary>Creates the middle.</summary>
    public VaeMid(int channels) : base(nameof(VaeMid))
    {
        block_1 = new VaeResnetBlock(channels, channels);
        attn_1 = new VaeAttnBlock(channels);
        block_2 = new VaeResnetBlock(channels, channels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return block_2.forward(attn_1.forward(block_1.forward(input))).MoveToOuterDisposeScope();
    }
}

/// <summary>Halves the resolution: zero-pad right/bottom by one, then a stride-2 3×3 convolution.</summary>
public sealed class VaeDownsample : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Conv2dLayer conv;
#pragma warning restore IDE0044

    /// <summary>Creates the downsampler.</summary>
    public VaeDownsample(int channels) : base(nameof(VaeDownsample))
    {
        conv = new Conv2dLayer(channels, channels, 3, stride: 2);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var padded = F.pad(input, [0, 1, 0, 1]);
        return conv.forward(padded);
    }
}

/// <summary>Doubles the resolution (nearest) and applies a 3×3 convolution.</summary>
public sealed class VaeUpsample : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Conv2dLayer conv;
#pragma warning restore IDE0044

    /// <summary>Creates the upsampler.</summary>
    public VaeUpsample(int channels) : base(nameof(VaeUpsample))
    {
        conv = new Conv2dLayer(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var up = F.interpolate(input, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return conv.forward(up);
    }
}

/// <summary>One resolution level: ResNet blocks and an optional resampler (<c>downsample</c> or <c>upsample</c>).</summary>
public sealed class VaeLevel : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private ModuleList<VaeResnetBlock> block;
    private VaeDownsample? downsample;
    private VaeUpsample? upsample;
#pragma warning restore IDE0044

    /// <summary>Creates a level of <paramref name="blocks"/> blocks from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public VaeLevel(int inChannels, int outChannels, int blocks, bool down, bool up) : base(nameof(VaeLevel))
    {
        var list = new List<VaeResnetBlock>();
        for (int i = 0; i < blocks; i++)
        {
            list.Add(new VaeResnetBlock(i == 0 ? inChannels : outChannels, outChannels));
        }
        block = new ModuleList<VaeResnetBlock>([.. list]);
        downsample = down ? new VaeDownsample(outChannels) : null;
        upsample = up ? new VaeUpsample(outChannels) : null;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = input;
        foreach (var b in block)
        {
            h = b.forward(h);
        }
        if (downsample is not null)
        {
            h = downsample.forward(h);
        }
        if (upsample is not null)
        {
            h = upsample.forward(h);
        }
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>Image [B, 3, H, W] in -1..1 → Gaussian moments [B, 2·z, H/8, W/8].</summary>
public sealed class VaeEncoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Conv2dLayer conv_in;
    private ModuleList<VaeLevel> down;
    private VaeMid mid;
    private GroupNormLayer norm_out;
    private Conv2dLayer conv_out;
#pragma warning restore IDE0044

    /// <summary>Creates the encoder.</summary>
    public VaeEncoder(AutoencoderConfig config) : base(nameof(VaeEncoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        int ch = config.Channels;
        conv_in = new Conv2dLayer(config.ImageChannels, ch, 3, padding: 1);
        var levels = new List<VaeLevel>();
        int blockIn = ch;
        for (int i = 0; i < config.ChannelMult.Count; i++)
        {
            int blockOut = ch * config.ChannelMult[i];
            levels.Add(new VaeLevel(blockIn, blockOut, config.NumResBlocks, down: i != config.ChannelMult.Count - 1, up: false));
            blockIn = blockOut;
        }
        down = new ModuleList<VaeLevel>([.. levels]);
        mid = new VaeMid(blockIn);
        norm_out = new GroupNormLayer(32, blockIn, 1e-6);
        conv_out = new Conv2dLayer(blockIn, 2 * config.LatentChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = conv_in.forward(input);
        foreach (var level in down)
        {
            h = level.forward(h);
        }
        h = mid.forward(h);
        return conv_out.forward(F.silu(norm_out.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Latent [B, z, h, w] → image [B, 3, 8h, 8w] in about -1..1.</summary>
public sealed class VaeDecoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044
    private Conv2dLayer conv_in;
    private VaeMid mid;
    private ModuleList<VaeLevel> up;
    private GroupNormLayer norm_out;
    private Conv2dLayer conv_out;
#pragma warning restore IDE0044

    /// <summary>Creates the decoder.</summary>
    public VaeDecoder(AutoencoderConfig config) : base(nameof(VaeDecoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        int ch = config.Channels;
        int levelsCount = config.ChannelMult.Count;
        int blockIn = ch * config.ChannelMult[levelsCount - 1];
        conv_in = new Conv2dLayer(config.LatentChannels, blockIn, 3, padding: 1);
        mid = new VaeMid(blockIn);
        // Built deepest first (the order they run in) but stored by level index, as the checkpoint numbers them.
        var levels = new VaeLevel[levelsCount];
        for (int i = levelsCount - 1; i >= 0; i--)
        {
            int blockOut = ch * config.ChannelMult[i];
            levels[i] = new VaeLevel(blockIn, blockOut, config.NumResBlocks + 1, down: false, up: i != 0);
            blockIn = blockOut;
        }
        up = new ModuleList<VaeLevel>(levels);
        norm_out = new GroupNormLayer(32, blockIn, 1e-6);
        conv_out = new Conv2dLayer(blockIn, config.ImageChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = mid.forward(conv_in.forward(input));
        for (int i = up.Count - 1; i >= 0; i--)
        {
            h = up[i].forward(h);
        }
        return conv_out.forward(F.silu(norm_out.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The KL autoencoder with parameter names as the checkpoint keys under <c>first_stage_model.</c>
/// (<c>encoder.*</c>, <c>decoder.*</c>, <c>quant_conv.*</c>, <c>post_quant_conv.*</c>).
/// </summary>
public sealed class AutoencoderKL : nn.Module
{
#pragma warning disable IDE0044
    private VaeEncoder encoder;
    private VaeDecoder decoder;
    private Conv2dLayer quant_conv;
    private Conv2dLayer post_quant_conv;
#pragma warning restore IDE0044

    /// <summary>Builds the autoencoder (uninitialised weights).</summary>
    public AutoencoderKL(AutoencoderConfig config) : base(nameof(AutoencoderKL))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        encoder = new VaeEncoder(config);
        decoder = new VaeDecoder(config);
        quant_conv = new Conv2dLayer(2 * config.LatentChannels, 2 * config.LatentChannels, 1);
        post_quant_conv = new Conv2dLayer(config.LatentChannels, config.LatentChannels, 1);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public AutoencoderConfig Config { get; }

    /// <summary>Latent [B, z, h, w] → raw decoder output [B, 3, 8h, 8w].</summary>
    public Tensor Decode(Tensor latent)
    {
        using var scope = NewDisposeScope();
        return decoder.forward(post_quant_conv.forward(latent)).MoveToOuterDisposeScope();
    }

    /// <summary>Image [B, 3, H, W] in -1..1 → the mean of the latent Gaussian (no sampling).</summary>
    public Tensor EncodeMean(Tensor image)
    {
        using var scope = NewDisposeScope();
        Tensor moments = quant_conv.forward(encoder.forward(image));
        return moments[.., ..Config.LatentChannels].contiguous().MoveToOuterDisposeScope();
    }
}
