using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySharp.LoadGen;

/// <summary>The graphs the load generator submits. Each call returns a fresh API-format prompt.</summary>
internal static class Workloads
{
    public static readonly string[] Names = ["trivial", "cached", "chain100", "chain100-cached", "chain:N", "chain:N-cached", "sd15"];

    /// <summary>Builds the prompt for submission number <paramref name="sequence"/> (used to vary the colour so nothing is cached).</summary>
    public static JsonObject Build(string name, long sequence, string checkpoint) => BuildWithVarying(name, Varying(name, sequence), checkpoint);

    /// <summary>The one number that differs between submissions: the colour (a constant for cached workloads) or the seed.</summary>
    public static long Varying(string name, long sequence) =>
        ChainLength(name) is (_, bool cached)
            ? cached ? 0x336699 : Colour(sequence)
            : name switch
    {
        "trivial" or "chain100" => Colour(sequence),
        "cached" or "chain100-cached" => 0x336699,
        "sd15" => sequence,
        _ => throw new ArgumentException($"unknown workload '{name}'; known: {string.Join(", ", Names)}"),
    };

    /// <summary>Builds the prompt with <paramref name="varying"/> as its colour or seed.</summary>
    public static JsonObject BuildWithVarying(string name, long varying, string checkpoint) =>
        ChainLength(name) is (int nodes, _)
            ? Chain(nodes - 2, varying)
            : name switch
    {
        "trivial" or "cached" => Chain(0, varying),
        "chain100" or "chain100-cached" => Chain(98, varying),
        "sd15" => StableDiffusion(checkpoint, varying),
        _ => throw new ArgumentException($"unknown workload '{name}'; known: {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// <c>chain:N</c> (uncached) and <c>chain:N-cached</c>: EmptyImage → N − 2 × ImageInvert → PreviewImage,
    /// N nodes in all (N ≥ 2), so the cost can be followed from 10 to 10,000 nodes.
    /// </summary>
    private static (int Nodes, bool Cached)? ChainLength(string name)
    {
        if (!name.StartsWith("chain:", StringComparison.Ordinal))
        {
            return null;
        }
        string rest = name["chain:".Length..];
        bool cached = rest.EndsWith("-cached", StringComparison.Ordinal);
        if (cached)
        {
            rest = rest[..^"-cached".Length];
        }
        return int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out int nodes) && nodes >= 2
            ? (nodes, cached)
            : throw new ArgumentException($"'{name}': a chain needs at least 2 nodes, e.g. chain:1000");
    }

    // 24-bit colours cycle through 16.7 million values, so consecutive submissions never share a cache key.
    private static long Colour(long sequence) => (sequence * 2654435761L) & 0xFFFFFF;

    /// <summary>EmptyImage 64×64 → <paramref name="inverts"/> × ImageInvert → PreviewImage (inverts + 2 nodes).</summary>
    private static JsonObject Chain(int inverts, long colour)
    {
        var graph = new JsonObject
        {
            ["1"] = Node("EmptyImage", new JsonObject { ["width"] = 64, ["height"] = 64, ["batch_size"] = 1, ["color"] = colour }),
        };
        string previous = "1";
        for (int i = 0; i < inverts; i++)
        {
            string id = (i + 2).ToString(CultureInfo.InvariantCulture);
            graph[id] = Node("ImageInvert", new JsonObject { ["image"] = Link(previous) });
            previous = id;
        }
        graph[(inverts + 2).ToString(CultureInfo.InvariantCulture)] = Node("PreviewImage", new JsonObject { ["images"] = Link(previous) });
        return graph;
    }

    /// <summary>The default txt2img graph at 64×64 with 3 steps; the seed varies so every run samples.</summary>
    private static JsonObject StableDiffusion(string checkpoint, long sequence) => new()
    {
        ["4"] = Node("CheckpointLoaderSimple", new JsonObject { ["ckpt_name"] = checkpoint }),
        ["5"] = Node("EmptyLatentImage", new JsonObject { ["width"] = 64, ["height"] = 64, ["batch_size"] = 1 }),
        ["6"] = Node("CLIPTextEncode", new JsonObject { ["text"] = "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,", ["clip"] = Link("4", 1) }),
        ["7"] = Node("CLIPTextEncode", new JsonObject { ["text"] = "text, watermark", ["clip"] = Link("4", 1) }),
        ["3"] = Node("KSampler", new JsonObject
        {
            ["seed"] = sequence, ["steps"] = 3, ["cfg"] = 8.0, ["sampler_name"] = "euler", ["scheduler"] = "normal", ["denoise"] = 1.0,
            ["model"] = Link("4", 0), ["positive"] = Link("6"), ["negative"] = Link("7"), ["latent_image"] = Link("5"),
        }),
        ["8"] = Node("VAEDecode", new JsonObject { ["samples"] = Link("3"), ["vae"] = Link("4", 2) }),
        ["9"] = Node("PreviewImage", new JsonObject { ["images"] = Link("8") }),
    };

    private static JsonObject Node(string classType, JsonObject inputs) => new() { ["class_type"] = classType, ["inputs"] = inputs };

    private static JsonArray Link(string id, int slot = 0) => new(id, slot);
}
