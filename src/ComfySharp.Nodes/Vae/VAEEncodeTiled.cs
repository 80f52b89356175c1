using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Vae;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Vae;

/// <summary>VAEEncode in overlapping tiles to bound memory.</summary>
public sealed class VAEEncodeTiled : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Pixels = new("pixels", IOTypes.IMAGE) { OneElementSpec = true };

    /// <summary>The autoencoder.</summary>
    public static readonly SocketInput<VaeModel> VaeInput = new("vae", IOTypes.VAE) { OneElementSpec = true };

    /// <summary>Tile side in pixels.</summary>
    public static readonly IntInput TileSize = new("tile_size") { Default = 512, Min = 64, Max = 4096, Step = 64 };

    /// <summary>Tile overlap in pixels.</summary>
    public static readonly IntInput Overlap = new("overlap") { Default = 64, Min = 0, Max = 4096, Step = 32 };

    /// <summary>Frames per temporal tile (video VAEs only).</summary>
    public static readonly IntInput TemporalSize = new("temporal_size")
    {
        Default = 64, Min = 8, Max = 4096, Step = 4,
        Tooltip = "Frames encoded at a time (video VAEs only).",
    };

    /// <summary>Overlapping frames between temporal tiles (video VAEs only).</summary>
    public static readonly IntInput TemporalOverlap = new("temporal_overlap")
    {
        Default = 8, Min = 4, Max = 4096, Step = 4,
        Tooltip = "Frames shared by consecutive temporal tiles (video VAEs only).",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "VAEEncodeTiled",
        DisplayName = "VAE Encode (Tiled)",
        Category = "_for_testing",
        Required = [Pixels, VaeInput, TileSize, Overlap, TemporalSize, TemporalOverlap],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        int tile = (int)inputs.Get(TileSize);
        int overlap = (int)inputs.Get(Overlap);
        if (tile < overlap * 4)
        {
            overlap = tile / 4;
        }
        Tensor latent = inputs.Get(VaeInput).EncodeTiled(inputs.Get(Pixels), tile, tile, overlap, context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(new LatentValue(latent.MoveToOuterDisposeScope())));
    }
}
