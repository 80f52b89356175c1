using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Vae;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Vae;

/// <summary>VAEDecode in overlapping tiles to bound memory.</summary>
public sealed class VAEDecodeTiled : ComfyNode
{
    /// <summary>The latent to decode.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };

    /// <summary>The autoencoder.</summary>
    public static readonly SocketInput<VaeModel> VaeInput = new("vae", IOTypes.VAE) { OneElementSpec = true };

    /// <summary>Tile side in pixels.</summary>
    public static readonly IntInput TileSize = new("tile_size") { Default = 512, Min = 64, Max = 4096, Step = 32 };

    /// <summary>Tile overlap in pixels.</summary>
    public static readonly IntInput Overlap = new("overlap") { Default = 64, Min = 0, Max = 4096, Step = 32 };

    /// <summary>Frames per temporal tile (video VAEs only).</summary>
    public static readonly IntInput TemporalSize = new("temporal_size")
    {
        Default = 64, Min = 8, Max = 4096, Step = 4,
        Tooltip = "Frames decoded at a time (video VAEs only).",
    };

    /// <summary>Overlapping frames between temporal tiles (video VAEs only).</summary>
    public static readonly IntInput TemporalOverlap = new("temporal_overlap")
    {
        Default = 8, Min = 4, Max = 4096, Step = 4,
        Tooltip = "Frames shared by consecutive temporal tiles (video VAEs only).",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "VAEDecodeTiled",
        DisplayName = "VAE Decode (Tiled)",
        Category = "_for_testing",
        Required = [Samples, VaeInput, TileSize, Overlap, TemporalSize, TemporalOverlap],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        VaeModel vae = inputs.Get(VaeInput);
        long tileSize = inputs.Get(TileSize);
        long overlap = inputs.Get(Overlap);
        if (tileSize < overlap * 4)
        {
            overlap = tileSize / 4;
        }
        int ratio = vae.DownscaleRatio;
        int tile = (int)(tileSize / ratio);
        Tensor samples = VaeNodeHelpers.FlattenVideo(inputs.Get(Samples).Samples);
        Tensor images = vae.DecodeTiled(samples, tile, tile, (int)(overlap / ratio), context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(images.MoveToOuterDisposeScope()));
    }
}
