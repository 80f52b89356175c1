using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySharp.LoadGen;

/// <summary>One measured phase of the inference table, per server.</summary>
internal sealed record InferenceFigure(string Server, string Phase, double Seconds);

/// <summary>
/// The inference table of issue 21, measured over the ComfyUI API so that any compatible server can be compared
/// in the same run: each phase is a small prompt, timed by the server's own <c>execution_start</c> →
/// <c>execution_success</c> timestamps in <c>/history</c> (no HTTP or queue time), median of the repeats.
/// A <c>bench_nonce</c> input that no class declares makes each repeat a cache miss on both servers (it is part
/// of the node's cache signature and ignored by validation). UNet step = (3 steps − 1 step) / 2 with cfg 8, so
/// text encoding, VAE and loading cancel out.
/// </summary>
internal static class Inference
{
    public static async Task<int> RunAsync(IReadOnlyList<(string Name, Uri Url)> servers, IReadOnlyDictionary<string, int> pids, string checkpoint, int repeats, IReadOnlyList<int> sizes)
    {
        var figures = new List<InferenceFigure>();
        long nonce = DateTime.UtcNow.Ticks;
        foreach (var (name, url) in servers)
        {
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(30) };
            async Task<double> Median(Func<long, JsonObject> graph, bool freeFirst = false)
            {
                var times = new List<double>();
                for (int i = 0; i < repeats; i++)
                {
                    if (freeFirst)
                    {
                        using var free = new StringContent("""{"unload_models": true, "free_memory": true}""", Encoding.UTF8, "application/json");
                        (await http.PostAsync(new Uri("/free", UriKind.Relative), free).ConfigureAwait(false)).Dispose();
                    }
                    times.Add(await TimeAsync(http, graph(++nonce)).ConfigureAwait(false));
                }
                times.Sort();
                return times[times.Count / 2];
            }
            void Add(string phase, double seconds)
            {
                figures.Add(new InferenceFigure(name, phase, seconds));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {phase} {seconds:F3} s"));
            }
            Add("checkpoint load", await Median(n => Graph(("load", Node("CheckpointLoaderSimple", n, ("ckpt_name", checkpoint))), Show("load", 2)), freeFirst: true).ConfigureAwait(false));
            Add("text encode", await Median(n => Graph(Loader(checkpoint), ("text", Node("CLIPTextEncode", n, ("text", $"a photograph of a lighthouse at dusk, number {n}"), ("clip", Link("ckpt", 1)))), Show("text"))).ConfigureAwait(false));
            foreach (int size in sizes)
            {
                double one = await Median(n => Sampling(checkpoint, n, size, steps: 1)).ConfigureAwait(false);
                double three = await Median(n => Sampling(checkpoint, n, size, steps: 3)).ConfigureAwait(false);
                Add($"UNet step {size}² (cfg 8, batch 1)", (three - one) / 2);
            }
            Add("VAE decode 512²", await Median(n => Graph(Loader(checkpoint),
                ("latent", Node("EmptyLatentImage", n, ("width", 512), ("height", 512), ("batch_size", 1))),
                ("decode", Node("VAEDecode", n, ("samples", Link("latent")), ("vae", Link("ckpt", 2)))), Show("decode"))).ConfigureAwait(false));
            Add("VAE encode 512²", await Median(n => Graph(Loader(checkpoint),
                ("image", Node("EmptyImage", n, ("width", 512), ("height", 512), ("batch_size", 1), ("color", n & 0xFFFFFF))),
                ("encode", Node("VAEEncode", n, ("pixels", Link("image")), ("vae", Link("ckpt", 2)))), Show("encode"))).ConfigureAwait(false));
            if (pids.TryGetValue(name, out int pid) && PeakRss(pid) is long peak)
            {
                figures.Add(new InferenceFigure(name, "peak RSS (GiB)", peak / (1024.0 * 1024 * 1024)));
            }
        }
        PrintTable(figures, servers);
        return 0;
    }

    private static JsonObject Sampling(string checkpoint, long nonce, int size, int steps) => Graph(Loader(checkpoint),
        ("pos", Node("CLIPTextEncode", 0, ("text", "a photograph of a lighthouse at dusk"), ("clip", Link("ckpt", 1)))),
        ("neg", Node("CLIPTextEncode", 0, ("text", "blurry"), ("clip", Link("ckpt", 1)))),
        ("latent", Node("EmptyLatentImage", 0, ("width", size), ("height", size), ("batch_size", 1))),
        ("sample", Node("KSampler", 0, ("seed", nonce), ("steps", steps), ("cfg", 8.0), ("sampler_name", "euler"), ("scheduler", "normal"), ("denoise", 1.0),
            ("model", Link("ckpt")), ("positive", Link("pos")), ("negative", Link("neg")), ("latent_image", Link("latent")))),
        Show("sample"));

    private static (string, JsonObject) Loader(string checkpoint) => ("ckpt", Node("CheckpointLoaderSimple", 0, ("ckpt_name", checkpoint)));

    private static (string, JsonObject) Show(string source, int slot = 0) => ("show", new JsonObject
    {
        ["class_type"] = "PreviewAny",
        ["inputs"] = new JsonObject { ["source"] = Link(source, slot) },
    });

    private static JsonObject Graph(params (string Id, JsonObject Node)[] nodes)
    {
        var graph = new JsonObject();
        foreach (var (id, node) in nodes)
        {
            graph[id] = node;
        }
        return graph;
    }

    // nonce 0: no nonce input, so the node is cached across prompts.
    private static JsonObject Node(string classType, long nonce, params (string Name, JsonNode? Value)[] inputs)
    {
        var values = new JsonObject();
        foreach (var (input, value) in inputs)
        {
            values[input] = value;
        }
        if (nonce != 0)
        {
            values["bench_nonce"] = nonce;
        }
        return new JsonObject { ["class_type"] = classType, ["inputs"] = values };
    }

    private static JsonArray Link(string id, int slot = 0) => new(id, slot);

    /// <summary>Runs one prompt and returns the server's execution time (execution_start to execution_success) in seconds.</summary>
    private static async Task<double> TimeAsync(HttpClient http, JsonObject graph)
    {
        using var content = new StringContent(new JsonObject { ["prompt"] = graph }.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/prompt", UriKind.Relative), content).ConfigureAwait(false);
        string reply = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the server refused a benchmark prompt: {(int)response.StatusCode} {reply}");
        }
        string id = (string)JsonNode.Parse(reply)!["prompt_id"]!;
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (DateTime.UtcNow < deadline)
        {
            if (JsonNode.Parse(await http.GetStringAsync(new Uri($"/history/{id}", UriKind.Relative)).ConfigureAwait(false))?[id] is JsonNode entry)
            {
                double? start = null, end = null;
                foreach (JsonNode? message in entry["status"]?["messages"]?.AsArray() ?? [])
                {
                    string? kind = (string?)message?[0];
                    double? at = (double?)message?[1]?["timestamp"];
                    if (kind == "execution_start") { start = at; }
                    else if (kind == "execution_success") { end = at; }
                    else if (kind == "execution_error")
                    {
                        throw new InvalidOperationException($"a benchmark prompt failed: {message?[1]?["exception_message"]}");
                    }
                }
                return start is double s && end is double e ? (e - s) / 1000.0 : throw new InvalidOperationException("the history entry has no execution timestamps");
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
        throw new TimeoutException("a benchmark prompt did not finish in 30 minutes");
    }

    private static long? PeakRss(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return null;
    }

    private static void PrintTable(List<InferenceFigure> figures, IReadOnlyList<(string Name, Uri Url)> servers)
    {
        var text = new StringBuilder();
        text.Append("| phase |");
        foreach (var (name, _) in servers) { text.Append(CultureInfo.InvariantCulture, $" {name} |"); }
        if (servers.Count > 1) { text.Append(CultureInfo.InvariantCulture, $" {servers[0].Name} / {servers[1].Name} |"); }
        text.AppendLine();
        text.AppendLine("|" + string.Concat(Enumerable.Repeat(" --- |", servers.Count + (servers.Count > 1 ? 2 : 1))));
        foreach (string phase in figures.Select(f => f.Phase).Distinct())
        {
            text.Append(CultureInfo.InvariantCulture, $"| {phase} |");
            var row = servers.Select(s => figures.FirstOrDefault(f => f.Server == s.Name && f.Phase == phase)?.Seconds).ToList();
            foreach (double? value in row) { text.Append(value is double v ? string.Create(CultureInfo.InvariantCulture, $" {v:F3} |") : " – |"); }
            if (servers.Count > 1) { text.Append(row[0] is double a && row[1] is double b && b > 0 ? string.Create(CultureInfo.InvariantCulture, $" {a / b:F2}× |") : " – |"); }
            text.AppendLine();
        }
        Console.Write(text);
    }
}
