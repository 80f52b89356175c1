namespace ComfySharp.Diffusion.UNet;

/// <summary>
/// The shape of an LDM-style UNet (the reference's <c>openaimodel.UNetModel</c> parameters). Presets
/// cover the architectures the checkpoint detector recognises; other families add a preset here.
/// </summary>
public sealed record UNetConfig
{
    /// <summary>Latent channels in.</summary>
    public int InChannels { get; init; } = 4;
    /// <summary>Channels out.</summary>
    public int OutChannels { get; init; } = 4;
    /// <summary>Base channel count (320 for SD).</summary>
    public int ModelChannels { get; init; } = 320;
    /// <summary>ResBlocks per level on the way down (one more on the way up).</summary>
    public int NumResBlocks { get; init; } = 2;
    /// <summary>Channel multiplier per level.</summary>
    public IReadOnlyList<int> ChannelMult { get; init; } = [1, 2, 4, 4];
    /// <summary>Transformer blocks per SpatialTransformer, per level (0 = no attention at that level).</summary>
    public IReadOnlyList<int> TransformerDepth { get; init; } = [1, 1, 1, 0];
    /// <summary>Transformer blocks in the middle block's SpatialTransformer.</summary>
    public int TransformerDepthMiddle { get; init; } = 1;
    /// <summary>Attention heads when <see cref="NumHeadChannels"/> is -1.</summary>
    public int NumHeads { get; init; } = 8;
    /// <summary>Channels per head (-1: use <see cref="NumHeads"/> heads at every width).</summary>
    public int NumHeadChannels { get; init; } = -1;
    /// <summary>Width of the cross-attention context (768 for CLIP-L).</summary>
    public int ContextDim { get; init; } = 768;
    /// <summary>Linear (SD2/SDXL) rather than 1×1 convolution (SD1) projections around the transformer.</summary>
    public bool UseLinearInTransformer { get; init; }
    /// <summary>Width of the class/pooled vector <c>y</c> (SDXL's 2816), or null when the model has no <c>label_emb</c>.</summary>
    public int? AdmInChannels { get; init; }

    /// <summary>Width of the timestep embedding.</summary>
    public int TimeEmbedDim => ModelChannels * 4;

    /// <summary>Stable Diffusion 1.x.</summary>
    public static UNetConfig Sd15 { get; } = new();

    /// <summary>Stable Diffusion 2.x (OpenCLIP-H context, 64-channel heads, linear projections).</summary>
    public static UNetConfig Sd2 { get; } = new() { NumHeads = -1, NumHeadChannels = 64, ContextDim = 1024, UseLinearInTransformer = true };

    /// <summary>SDXL base.</summary>
    public static UNetConfig Sdxl { get; } = new()
    {
        ChannelMult = [1, 2, 4],
        TransformerDepth = [0, 2, 10],
        TransformerDepthMiddle = 10,
        NumHeads = -1,
        NumHeadChannels = 64,
        ContextDim = 2048,
        UseLinearInTransformer = true,
        AdmInChannels = 2816,
    };

    /// <summary>SDXL refiner (384 channels, CLIP-G context 1280, ADM 2560).</summary>
    public static UNetConfig SdxlRefiner { get; } = new()
    {
        ModelChannels = 384,
        ChannelMult = [1, 2, 4, 4],
        TransformerDepth = [0, 4, 4, 0],
        TransformerDepthMiddle = 4,
        NumHeads = -1,
        NumHeadChannels = 64,
        ContextDim = 1280,
        UseLinearInTransformer = true,
        AdmInChannels = 2560,
    };

    /// <summary>Value equality, the per-level lists compared element by element.</summary>
    public bool Equals(UNetConfig? other) =>
        other is not null && InChannels == other.InChannels && OutChannels == other.OutChannels && ModelChannels == other.ModelChannels
        && NumResBlocks == other.NumResBlocks && ChannelMult.SequenceEqual(other.ChannelMult) && TransformerDepth.SequenceEqual(other.TransformerDepth)
        && TransformerDepthMiddle == other.TransformerDepthMiddle && HeadsFor(ModelChannels) == other.HeadsFor(other.ModelChannels)
        && ContextDim == other.ContextDim && UseLinearInTransformer == other.UseLinearInTransformer && AdmInChannels == other.AdmInChannels;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(InChannels, ModelChannels, ContextDim, AdmInChannels, ChannelMult.Count, TransformerDepthMiddle);

    /// <summary>Heads and channels per head for a block of <paramref name="channels"/> channels.</summary>
    public (int Heads, int HeadDim) HeadsFor(int channels) =>
        NumHeadChannels == -1 ? (NumHeads, channels / NumHeads) : (channels / NumHeadChannels, NumHeadChannels);
}
