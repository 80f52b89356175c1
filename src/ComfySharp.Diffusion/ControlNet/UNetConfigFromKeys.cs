using System.Globalization;
using System.Text.RegularExpressions;
using ComfySharp.Diffusion.UNet;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// Reads an LDM UNet encoder's shape (<c>input_blocks</c>, <c>middle_block</c>) from key names and shapes, as
/// the reference's <c>detect_unet_config</c> does, so ControlNets of any width load without a config file.
/// Heads follow the families: 8 heads with 1×1-convolution projections (SD1), 64-channel heads with linear
/// projections (SD2, SDXL).
/// </summary>
public static partial class UNetConfigFromKeys
{
    /// <summary>The configuration of the encoder under <paramref name="prefix"/>, or null when the keys hold none.</summary>
    public static UNetConfig? Detect(IReadOnlyDictionary<string, long[]> shapes, string prefix)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (!shapes.TryGetValue(prefix + "input_blocks.0.0.weight", out long[]? convIn) || convIn.Length != 4)
        {
            return null;
        }
        int mc = (int)convIn[0];
        var blocks = shapes.Keys
            .Where(k => k.StartsWith(prefix + "input_blocks.", StringComparison.Ordinal))
            .Select(k => int.Parse(k[(prefix.Length + "input_blocks.".Length)..].Split('.')[0], CultureInfo.InvariantCulture))
            .Distinct().Order().ToList();
        var mult = new List<int>();
        var depth = new List<int>();
        int resBlocks = -1, levelCount = 0, levelDepth = 0, levelMult = 1;
        foreach (int n in blocks.Where(b => b > 0))
        {
            string block = $"{prefix}input_blocks.{n}.";
            if (shapes.ContainsKey(block + "0.op.weight"))
            {
                mult.Add(levelMult);
                depth.Add(levelDepth);
                resBlocks = resBlocks < 0 ? levelCount : resBlocks;
                levelCount = 0;
                levelDepth = 0;
                continue;
            }
            if (!shapes.TryGetValue(block + "0.out_layers.3.weight", out long[]? outConv))
            {
                return null;
            }
            levelMult = (int)(outConv[0] / mc);
            levelDepth = TransformerDepth(shapes, block + "1.");
            levelCount++;
        }
        mult.Add(levelMult);
        depth.Add(levelDepth);
        resBlocks = resBlocks < 0 ? levelCount : resBlocks;
        long? contextDim = shapes.FirstOrDefault(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)
            && kv.Key.EndsWith(".attn2.to_k.weight", StringComparison.Ordinal)).Value?[1];
        bool linear = shapes.TryGetValue(FirstKey(shapes, prefix, ".proj_in.weight") ?? "", out long[]? projIn) && projIn.Length == 2;
        int? adm = shapes.TryGetValue(prefix + "label_emb.0.0.weight", out long[]? label) ? (int)label[1] : null;
        return new UNetConfig
        {
            InChannels = (int)convIn[1],
            ModelChannels = mc,
            NumResBlocks = resBlocks,
            ChannelMult = mult,
            TransformerDepth = depth,
            TransformerDepthMiddle = TransformerDepth(shapes, prefix + "middle_block.1."),
            NumHeads = 8,
            NumHeadChannels = linear ? 64 : -1,
            ContextDim = (int)(contextDim ?? 768),
            UseLinearInTransformer = linear,
            AdmInChannels = adm,
        };
    }

    private static string? FirstKey(IReadOnlyDictionary<string, long[]> shapes, string prefix, string suffix) =>
        shapes.Keys.FirstOrDefault(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(suffix, StringComparison.Ordinal));

    private static int TransformerDepth(IReadOnlyDictionary<string, long[]> shapes, string layerPrefix) =>
        shapes.Keys
            .Where(k => k.StartsWith(layerPrefix + "transformer_blocks.", StringComparison.Ordinal))
            .Select(k => TransformerIndex().Match(k[layerPrefix.Length..]))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1).Max() + 1;

    [GeneratedRegex(@"^transformer_blocks\.(\d+)\.")]
    private static partial Regex TransformerIndex();
}
