using System.Globalization;
using System.Text.RegularExpressions;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;

namespace ComfySharp.Diffusion.Upscale;

/// <summary>
/// Detects an upscale model's architecture from the keys of a <c>.safetensors</c> file and loads it:
/// ESRGAN in the original (<c>model.N</c>) and BasicSR (<c>conv_first</c>, <c>body.N.rdbK</c> or
/// <c>RRDB_trunk.N.RDBK</c>) layouts, 1×/2×/4×/8× and pixel-unshuffle variants; Real-ESRGAN compact.
/// </summary>
public static partial class UpscaleModelLoading
{
    /// <summary>Loads the upscale model in <paramref name="path"/> onto the device of <paramref name="options"/>.</summary>
    public static UpscaleNetwork LoadFile(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        var shapes = CheckpointLoading.Shapes(file);
        // Some SwinIR-style exports keep DataParallel's prefix; the reference strips it before detection.
        string prefix = shapes.Keys.Count > 0 && shapes.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)) ? "module." : "";
        var keys = shapes.Keys.ToDictionary(k => k[prefix.Length..], k => k, StringComparer.Ordinal);
        var relative = keys.ToDictionary(kv => kv.Key, kv => shapes[kv.Value], StringComparer.Ordinal);
        var (network, rename) = Build(relative, Path.GetFileName(path));
        return StrictLoading.LoadOrDispose(network, rename.Keys.Select(k => rename[k]).ToList(),
            MapBack(rename, k => file.Load(keys[k], TorchSharp.torch.ScalarType.Float32)), $"upscale model '{Path.GetFileName(path)}'",
            n => n.MoveTo(options.ResolveDevice()));
    }

    /// <summary>
    /// Builds an uninitialised network for the given key → shape map; <c>Rename</c> maps each file key to
    /// the network's parameter name.
    /// </summary>
    public static (UpscaleNetwork Network, Dictionary<string, string> Rename) Build(IReadOnlyDictionary<string, long[]> shapes, string fileName)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (shapes.ContainsKey("body.0.weight") && shapes.TryGetValue("body.1.weight", out long[]? prelu) && prelu.Length == 1)
        {
            return (BuildCompact(shapes, fileName), shapes.Keys.ToDictionary(k => k, k => k, StringComparer.Ordinal));
        }
        if (shapes.ContainsKey("model.0.weight") && shapes.ContainsKey("model.1.sub.0.RDB1.conv1.0.weight"))
        {
            return (BuildRrdb(shapes, fileName), shapes.Keys.ToDictionary(k => k, k => k, StringComparer.Ordinal));
        }
        if (shapes.ContainsKey("conv_first.weight") && (shapes.ContainsKey("body.0.rdb1.conv1.weight") || shapes.ContainsKey("RRDB_trunk.0.RDB1.conv1.weight")))
        {
            var rename = RenameBasicSr(shapes.Keys, fileName);
            var renamed = rename.ToDictionary(kv => kv.Value, kv => shapes[kv.Key], StringComparer.Ordinal);
            return (BuildRrdb(renamed, fileName), rename);
        }
        throw new UnsupportedUpscaleModelException(
            $"'{fileName}' is not an upscale model this server can load (supported: ESRGAN/RRDBNet, RealESRGAN Compact); its keys look like {ModelKeyKinds.Describe(shapes.Keys)}.");
    }

    private static SrvggNetCompact BuildCompact(IReadOnlyDictionary<string, long[]> shapes, string fileName)
    {
        int highest = HighestIndex(shapes.Keys, BodyIndex());
        long[] first = shapes["body.0.weight"];
        int inChannels = (int)first[1], features = (int)first[0];
        if (highest < 2 || highest % 2 != 0 || !shapes.TryGetValue($"body.{highest}.weight", out long[]? last))
        {
            throw new UnsupportedUpscaleModelException($"'{fileName}' has a RealESRGAN Compact body of unexpected length (last index {highest}).");
        }
        int shuffled = (int)last[0];
        int outChannels = 0, factor = 0;
        foreach (int candidate in new[] { inChannels, 3, 1, 4 })
        {
            if (shuffled % candidate == 0 && IsSquare(shuffled / candidate, out int f))
            {
                (outChannels, factor) = (candidate, f);
                break;
            }
        }
        if (factor == 0 || outChannels != inChannels)
        {
            throw new UnsupportedUpscaleModelException($"'{fileName}': a RealESRGAN Compact last layer of {shuffled} channels fits no scale for {inChannels} input channels.");
        }
        return new SrvggNetCompact(new CompactConfig(inChannels, outChannels, features, (highest - 2) / 2, factor));
    }

    private static RrdbNet BuildRrdb(IReadOnlyDictionary<string, long[]> shapes, string fileName)
    {
        int highest = HighestIndex(shapes.Keys, ModelIndex());
        if (highest < 4 || (highest - 4) % 3 != 0 || (highest - 4) / 3 > 3)
        {
            throw new UnsupportedUpscaleModelException($"'{fileName}': an ESRGAN whose last layer is model.{highest} has no known scale.");
        }
        int upsamplings = (highest - 4) / 3;
        long[] first = shapes["model.0.weight"];
        int blocks = shapes.Keys.Count(k => k.StartsWith("model.1.sub.", StringComparison.Ordinal) && k.EndsWith(".RDB1.conv1.0.weight", StringComparison.Ordinal));
        int growth = (int)shapes["model.1.sub.0.RDB1.conv1.0.weight"][0];
        int outChannels = (int)shapes[$"model.{highest}.weight"][0];
        int inChannels = (int)first[1];
        int unshuffle = inChannels == outChannels * 4 ? 2 : inChannels == outChannels * 16 ? 4 : 1;
        return new RrdbNet(new RrdbConfig(inChannels, outChannels, (int)first[0], growth, blocks, upsamplings, unshuffle));
    }

    private static Dictionary<string, string> RenameBasicSr(IEnumerable<string> keys, string fileName)
    {
        var list = keys.ToList();
        int upsamplings = list.Count(k => k.EndsWith(".weight", StringComparison.Ordinal) && UpConv().IsMatch(k[..^".weight".Length]));
        int blocks = list.Count(k => k.EndsWith(".conv1.weight", StringComparison.Ordinal) && (k.Contains(".rdb1.", StringComparison.Ordinal) || k.Contains(".RDB1.", StringComparison.Ordinal)));
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in list)
        {
            string name = key;
            int dot = key.LastIndexOf('.');
            string head = key[..dot], tail = key[(dot + 1)..];
            Match dense = DenseKey().Match(head);
            Match up = UpConv().Match(head);
            if (dense.Success)
            {
                name = $"model.1.sub.{dense.Groups[1].Value}.RDB{dense.Groups[2].Value}.conv{dense.Groups[3].Value}.0.{tail}";
            }
            else if (up.Success)
            {
                int n = int.Parse(up.Groups[1].Value, CultureInfo.InvariantCulture);
                name = $"model.{3 * n}.{tail}";
            }
            else
            {
                name = head switch
                {
                    "conv_first" => $"model.0.{tail}",
                    "conv_body" or "trunk_conv" => $"model.1.sub.{blocks}.{tail}",
                    "conv_hr" or "HRconv" => $"model.{RrdbNet.HrIndex(upsamplings)}.{tail}",
                    "conv_last" => $"model.{RrdbNet.LastIndex(upsamplings)}.{tail}",
                    _ => throw new UnsupportedUpscaleModelException($"'{fileName}': unexpected key '{key}' for an ESRGAN in the BasicSR layout."),
                };
            }
            rename[key] = name;
        }
        return rename;
    }

    private static Func<string, TorchSharp.torch.Tensor> MapBack(Dictionary<string, string> rename, Func<string, TorchSharp.torch.Tensor> read)
    {
        var back = rename.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        return name => read(back[name]);
    }

    private static int HighestIndex(IEnumerable<string> keys, Regex pattern) =>
        keys.Select(k => pattern.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max();

    private static bool IsSquare(int value, out int root)
    {
        root = (int)Math.Round(Math.Sqrt(value));
        return root > 0 && root * root == value;
    }

    [GeneratedRegex(@"^body\.(\d+)\.weight$")]
    private static partial Regex BodyIndex();

    [GeneratedRegex(@"^model\.(\d+)\.weight$")]
    private static partial Regex ModelIndex();

    [GeneratedRegex(@"^(?:conv_up|upconv)(\d)$")]
    private static partial Regex UpConv();

    [GeneratedRegex(@"^(?:body|RRDB_trunk)\.(\d+)\.(?:rdb|RDB)(\d)\.conv(\d)$")]
    private static partial Regex DenseKey();
}
