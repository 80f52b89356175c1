using System.Globalization;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// Recognises and loads T2I-Adapters as the reference's <c>load_t2i_adapter</c> does: the diffusers layout
/// (<c>adapter.body.I.resnets.J.</c> → <c>body.(2I+J).</c>, <c>adapter.body.I.</c> → <c>body.(2I).</c>, <c>adapter.</c> dropped);
/// <c>body.0.in_conv.weight</c> = <c>Adapter_light</c>; <c>conv_in.weight</c> = the full <c>Adapter</c> (channels c, 2c, 4c, 4c
/// from <c>conv_in</c>, kernel size from <c>body.0.block2</c>, strided-convolution down steps when <c>down_opt.op</c> keys exist,
/// SDXL when the unshuffled input has 256 or 768 channels).
/// </summary>
public static class T2IAdapterLoading
{
    private const int Levels = 4;

    /// <summary>The adapter in <paramref name="file"/>, or null when its keys are not a T2I-Adapter's.</summary>
    public static T2IAdapterModel? TryLoad(SafeTensorsFile file, Dictionary<string, long[]> shapes, string name, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(options);
        Dictionary<string, string> rename = Rename(shapes.Keys);
        var renamed = rename.ToDictionary(kv => kv.Value, kv => shapes[kv.Key], StringComparer.Ordinal);
        T2IAdapterModel adapter;
        int bodies = renamed.Keys.Where(k => k.StartsWith("body.", StringComparison.Ordinal))
            .Select(k => int.Parse(k.Split('.')[1], CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        if (renamed.TryGetValue("body.0.in_conv.weight", out long[]? lightIn) && renamed.ContainsKey("body.0.out_conv.weight"))
        {
            // Adapter_light: the reference fixes 320/640/1280/1280 and 4 blocks; the shapes give the same for its files.
            var channels = Enumerable.Range(0, bodies).Select(i => (int)renamed[$"body.{i}.out_conv.weight"][0]).ToList();
            int blocks = renamed.Keys.Where(k => k.StartsWith("body.0.body.", StringComparison.Ordinal))
                .Select(k => int.Parse(k.Split('.')[3], CultureInfo.InvariantCulture)).Max() + 1;
            adapter = new T2IAdapterModel(light: true, channels, (int)lightIn[1], blocks);
        }
        else if (renamed.TryGetValue("conv_in.weight", out long[]? convIn) && renamed.TryGetValue("body.0.block2.weight", out long[]? block2))
        {
            int c = (int)convIn[0], cin = (int)convIn[1];
            if (bodies % Levels != 0)
            {
                throw new UnsupportedControlNetException($"'{name}' looks like a T2I-Adapter but has {bodies} residual blocks (a multiple of {Levels} expected).");
            }
            bool convDown = renamed.Keys.Any(k => k.EndsWith("down_opt.op.weight", StringComparison.Ordinal));
            adapter = new T2IAdapterModel(light: false, [c, 2 * c, 4 * c, 4 * c], cin, bodies / Levels, (int)block2[2], convDown, xl: cin is 256 or 768);
        }
        else
        {
            return null;
        }
        var back = rename.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        return StrictLoading.LoadOrDispose(adapter, back.Keys, key => file.Load(back[key], ScalarType.Float32), $"T2I-Adapter '{name}'",
            a => a.MoveTo(options.ResolveDevice()));
    }

    private static Dictionary<string, string> Rename(IEnumerable<string> keys)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            string name = key.StartsWith("adapter.", StringComparison.Ordinal) ? key["adapter.".Length..] : key;
            string[] parts = name.Split('.');
            if (key.StartsWith("adapter.body.", StringComparison.Ordinal) && parts.Length > 3)
            {
                int level = int.Parse(parts[1], CultureInfo.InvariantCulture);
                name = parts[2] == "resnets"
                    ? $"body.{(2 * level) + int.Parse(parts[3], CultureInfo.InvariantCulture)}.{string.Join('.', parts[4..])}"
                    : $"body.{2 * level}.{string.Join('.', parts[2..])}";
            }
            result[key] = name;
        }
        return result;
    }
}
