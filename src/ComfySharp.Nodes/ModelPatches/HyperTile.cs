using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>HyperTile: self-attention at the shallow UNet levels runs on spatial tiles, which is faster at large sizes.</summary>
public sealed class HyperTile : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Tile edge in pixels (at least 32).</summary>
    public static readonly IntInput TileSize = new("tile_size") { Default = 256, Min = 1, Max = 2048 };
    /// <summary>How many tile grids the draw chooses from.</summary>
    public static readonly IntInput SwapSize = new("swap_size") { Default = 2, Min = 1, Max = 128 };
    /// <summary>How many levels below the first are tiled too.</summary>
    public static readonly IntInput MaxDepth = new("max_depth") { Default = 0, Min = 0, Max = 10 };
    /// <summary>Grow the tile with the depth.</summary>
    public static readonly BooleanInput ScaleDepth = new("scale_depth") { Default = false };

    private static readonly NodeSchema Definition = PatchSupport.Schema("HyperTile", "model_patches/unet", "comfy_extras.nodes_hypertile", [Model, TileSize, SwapSize, MaxDepth, ScaleDepth]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelPatcher model = inputs.Get(Model);
        int channels = PatchSupport.ModelChannels(model, "HyperTile");
        int tile = (int)inputs.Get(TileSize), swap = (int)inputs.Get(SwapSize), depth = (int)inputs.Get(MaxDepth);
        bool scaleDepth = inputs.Get(ScaleDepth);
        return ValueTask.FromResult(NodeOutput.Of(model.WithOptions(o => HyperTilePatch.Apply(o, channels, tile, swap, depth, scaleDepth))));
    }
}
