using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.LoadGen;

/// <summary>One sample of the server process taken during a soak.</summary>
internal sealed record SoakSample(double Seconds, long RssBytes, int Threads, int Handles, long Accepted, long Completed, long Refused);

/// <summary>
/// A long mixed run: N clients, each with its own WebSocket, send a seeded mix of prompts for a fixed time —
/// valid ones (mostly uncached, some cached), ones that fail validation (400 expected, nothing queued),
/// bodies the door refuses (non-finite numbers, wrong field types: 400), and valid graphs that fail while
/// executing (a size over the tensor limit: <c>execution_error</c> expected). The server process is sampled
/// every few seconds (RSS, threads, open file handles). At the end every accepted prompt must have ended
/// exactly as expected over its client's socket, the last ones must be readable in <c>/history</c>, and
/// <c>/queue</c>, <c>/history</c> and <c>/api/jobs</c> must still parse.
/// </summary>
internal static class Soak
{
    private enum Kind { Valid, Cached, Invalid, Refused, FailsAtRun }

    public static async Task<int> RunAsync(Uri server, int pid, int clients, TimeSpan duration, TimeSpan think, TimeSpan sampleEvery, int seed, string? csv)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        long accepted = 0, completed = 0, refused = 0, wrongOutcome = 0, wrongStatus = 0;
        var samples = new List<SoakSample>();
        var lastIds = new System.Collections.Concurrent.ConcurrentQueue<(string Id, bool Success)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                samples.Add(Sample(pid, clock.Elapsed.TotalSeconds, Interlocked.Read(ref accepted), Interlocked.Read(ref completed), Interlocked.Read(ref refused)));
                try { await Task.Delay(sampleEvery, stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        });
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var random = new Random(seed + c);
            string clientId = $"soak{c}-{Guid.NewGuid():N}";
            using var socket = new ClientWebSocket();
            var wsUri = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/ws", Query = "clientId=" + clientId }.Uri;
            await socket.ConnectAsync(wsUri, CancellationToken.None).ConfigureAwait(false);
            var buffer = new byte[1 << 16];
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                Kind kind = Pick(random);
                using var content = new StringContent(Body(kind, clientId, seed, c, n++), Encoding.UTF8, "application/json");
                using HttpResponseMessage response = await http.PostAsync(new Uri("/prompt", UriKind.Relative), content, CancellationToken.None).ConfigureAwait(false);
                string reply = await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false);
                if (kind is Kind.Invalid or Kind.Refused)
                {
                    Interlocked.Increment(ref response.StatusCode == HttpStatusCode.BadRequest ? ref refused : ref wrongStatus);
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref wrongStatus);
                    Console.Error.WriteLine($"soak: a {kind} prompt was refused: {(int)response.StatusCode} {reply[..Math.Min(200, reply.Length)]}");
                }
                else
                {
                    Interlocked.Increment(ref accepted);
                    string id = (string)JsonNode.Parse(reply)!["prompt_id"]!;
                    bool success = await WaitAsync(socket, buffer, id).ConfigureAwait(false);
                    Interlocked.Increment(ref completed);
                    if (success != (kind != Kind.FailsAtRun))
                    {
                        Interlocked.Increment(ref wrongOutcome);
                    }
                    lastIds.Enqueue((id, success));
                    while (lastIds.Count > 2000) { lastIds.TryDequeue(out _); }
                }
                if (think > TimeSpan.Zero)
                {
                    try { await Task.Delay(think, stop.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                }
            }
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(false);
        })).ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        samples.Add(Sample(pid, clock.Elapsed.TotalSeconds, accepted, completed, refused));

        // Nothing lost: the last prompts are all in the history with the outcome their socket reported.
        int missing = 0, mismatched = 0;
        foreach ((string id, bool success) in lastIds)
        {
            JsonNode? entry = JsonNode.Parse(await http.GetStringAsync(new Uri($"/history/{id}", UriKind.Relative)).ConfigureAwait(false))?[id];
            if (entry is null) { missing++; }
            else if (((string?)entry["status"]?["status_str"] == "success") != success) { mismatched++; }
        }
        var queue = JsonNode.Parse(await http.GetStringAsync(new Uri("/queue", UriKind.Relative)).ConfigureAwait(false))!;
        int left = queue["queue_running"]!.AsArray().Count + queue["queue_pending"]!.AsArray().Count;
        JsonNode.Parse(await http.GetStringAsync(new Uri("/history?max_items=10000", UriKind.Relative)).ConfigureAwait(false));
        JsonNode.Parse(await http.GetStringAsync(new Uri("/api/jobs?limit=1000", UriKind.Relative)).ConfigureAwait(false));

        Report(samples, duration, clients, accepted, completed, refused, wrongOutcome, wrongStatus, lastIds.Count, missing, mismatched, left, csv);
        return wrongOutcome + wrongStatus + missing + mismatched + left == 0 && accepted == completed ? 0 : 1;
    }

    private static Kind Pick(Random random) => random.Next(100) switch
    {
        < 55 => Kind.Valid,
        < 70 => Kind.Cached,
        < 82 => Kind.Invalid,
        < 92 => Kind.Refused,
        _ => Kind.FailsAtRun,
    };

    private static string Body(Kind kind, string clientId, int seed, int client, long n)
    {
        long colour = ((seed * 7919L) + (client * 1_000_003L) + (n * 2654435761L)) & 0xFFFFFF;
        return kind switch
        {
            Kind.Valid => Wrap(Workloads.Build("trivial", colour, ""), clientId),
            Kind.Cached => Wrap(Workloads.Build("cached", 0, ""), clientId),
            // Validation failures: an unknown class, a link to a missing node, a widget of the wrong type, in turn.
            Kind.Invalid => (n % 3) switch
            {
                0 => Wrap(new JsonObject { ["1"] = new JsonObject { ["class_type"] = "NoSuchNode", ["inputs"] = new JsonObject() } }, clientId),
                1 => Wrap(new JsonObject { ["1"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("99", 0) } } }, clientId),
                _ => Wrap(Replace(Workloads.Build("trivial", colour, ""), "1", "width", "wide"), clientId),
            },
            // The door: a number JSON cannot carry back, and a field of the wrong type.
            Kind.Refused => n % 2 == 0
                ? Wrap(Workloads.Build("trivial", colour, ""), clientId).Replace("\"width\":64", "\"width\":1e400", StringComparison.Ordinal)
                : $"{{\"prompt\":{Workloads.Build("trivial", colour, "").ToJsonString()},\"extra_data\":[1,2]}}",
            // Valid graph whose EmptyImage asks for more elements than the tensor limit: an execution error.
            Kind.FailsAtRun => Wrap(Replace(Replace(Workloads.Build("trivial", colour, ""), "1", "width", 16384), "1", "batch_size", 4096), clientId),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static JsonObject Replace(JsonObject graph, string node, string input, JsonNode value)
    {
        graph[node]!["inputs"]![input] = value;
        return graph;
    }

    private static string Wrap(JsonObject prompt, string clientId) => new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId }.ToJsonString();

    /// <summary>Reads frames until the prompt's final <c>executing</c>; true when <c>execution_success</c> came first.</summary>
    private static async Task<bool> WaitAsync(ClientWebSocket socket, byte[] buffer, string promptId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        bool success = false;
        while (true)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length) { throw new InvalidOperationException("a frame over 64 KiB"); }
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            if (result.MessageType != WebSocketMessageType.Text) { continue; }
            using JsonDocument doc = JsonDocument.Parse(buffer.AsMemory(0, length));
            JsonElement root = doc.RootElement;
            if (!root.TryGetProperty("data", out JsonElement data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("prompt_id", out JsonElement id) || id.GetString() != promptId)
            {
                continue;
            }
            switch (root.GetProperty("type").GetString())
            {
                case "execution_success": success = true; break;
                case "executing" when data.GetProperty("node").ValueKind == JsonValueKind.Null: return success;
            }
        }
    }

    private static SoakSample Sample(int pid, double seconds, long accepted, long completed, long refused)
    {
        long rss = 0;
        int threads = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) { rss = long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024; }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal)) { threads = int.Parse(line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture); }
        }
        int handles = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        return new SoakSample(seconds, rss, threads, handles, accepted, completed, refused);
    }

    private static void Report(List<SoakSample> samples, TimeSpan duration, int clients, long accepted, long completed, long refused,
        long wrongOutcome, long wrongStatus, int checkedIds, int missing, int mismatched, int left, string? csv)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"soak: {clients} clients for {duration.TotalMinutes:F1} min: {accepted} prompts accepted, {completed} ended over their socket, {refused} refused with 400 as intended");
        text.AppendLine(CultureInfo.InvariantCulture, $"wrong outcome {wrongOutcome}, wrong status code {wrongStatus}; of the last {checkedIds} in /history: {missing} missing, {mismatched} with another outcome; left in the queue: {left}");
        // The first minute is warm-up (JIT, pools, caches filling); flatness is judged after it.
        List<SoakSample> settled = samples.Where(s => s.Seconds >= 60).ToList();
        if (settled.Count >= 2)
        {
            SoakSample first = settled[0], last = settled[^1];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"after the first minute: RSS {Mib(first.RssBytes)} → {Mib(last.RssBytes)} MiB (min {Mib(settled.Min(s => s.RssBytes))}, max {Mib(settled.Max(s => s.RssBytes))}), threads {first.Threads} → {last.Threads} (max {settled.Max(s => s.Threads)}), handles {first.Handles} → {last.Handles} (max {settled.Max(s => s.Handles)})");
        }
        text.AppendLine("| minute | RSS MiB | threads | handles | accepted | refused |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (SoakSample s in samples.GroupBy(s => (int)(s.Seconds / 60)).Select(g => g.Last()))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {s.Seconds / 60:F1} | {Mib(s.RssBytes)} | {s.Threads} | {s.Handles} | {s.Accepted} | {s.Refused} |");
        }
        Console.Write(text);
        if (csv is not null)
        {
            File.WriteAllLines(csv, samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Seconds:F0},{s.RssBytes},{s.Threads},{s.Handles},{s.Accepted},{s.Completed},{s.Refused}")).Prepend("seconds,rss_bytes,threads,handles,accepted,completed,refused"));
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
}
