using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.LoadGen;

/// <summary>The figures of one (server, workload, client count) run.</summary>
internal sealed record LoadResult(
    string Server, string Workload, int Clients, int Completed, int Failed, double Seconds,
    double P50Ms, double P95Ms, double P99Ms, long EventsExpected, long EventsReceived, long? RssBytes,
    double? ServerCpuSeconds, double LoadGenCpuSeconds)
{
    public double PromptsPerSecond => Completed / Seconds;

    /// <summary>Server CPU time (user + system, all threads) per completed prompt, when its pid is known.</summary>
    public double? ServerCpuMsPerPrompt => ServerCpuSeconds is { } s && Completed > 0 ? s * 1000 / Completed : null;

    /// <summary>The load generator's own CPU time per completed prompt (it shares the machine).</summary>
    public double LoadGenCpuMsPerPrompt => Completed > 0 ? LoadGenCpuSeconds * 1000 / Completed : double.NaN;
}

/// <summary>
/// N clients, each with its own WebSocket and client id, submit a workflow M times one after another
/// and wait for its completion (<c>executing</c> with <c>node: null</c> for that prompt id). Latency is
/// submit-to-completion. Events: each completed prompt must deliver <c>execution_start</c>, one of
/// <c>execution_success</c>/<c>execution_error</c>/<c>execution_interrupted</c>, and the final
/// <c>executing</c>; anything missing shows as received &lt; expected.
/// </summary>
internal static class LoadRun
{
    private static readonly TimeSpan PromptTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Runs one setting. With <paramref name="poll"/> no client opens a WebSocket or sends a
    /// <c>client_id</c>; completion is seen by polling <c>GET /history/{id}</c>. Nobody listening
    /// means no <c>progress_state</c> snapshots, whose size grows with the square of the node count,
    /// so long chains measure the executor rather than the socket (events are then not counted).
    /// </summary>
    public static async Task<LoadResult> RunAsync(Uri server, string workload, int clients, int promptsPerClient, string checkpoint, int? pid, bool poll, CancellationToken cancellationToken, string? apiKey = null)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = PromptTimeout };
        if (apiKey is not null)
        {
            // A server with --auth: every request and the socket carry the key.
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
        var latencies = new List<double>[clients];
        long received = 0;
        int failed = 0;
        long sequenceSeed = Stopwatch.GetTimestamp();
        double? serverCpuBefore = pid is { } before ? ReadCpuSeconds(before) : null;
        TimeSpan ownCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = [];
            (int clientFailed, long clientEvents) = poll
                ? await RunPollingClientAsync(http, workload, checkpoint, promptsPerClient, sequenceSeed + (c * 1_000_000L), latencies[c], cancellationToken).ConfigureAwait(false)
                : await RunClientAsync(http, server, workload, checkpoint, promptsPerClient, sequenceSeed + (c * 1_000_000L), latencies[c], cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref failed, clientFailed);
            Interlocked.Add(ref received, clientEvents);
        })).ConfigureAwait(false);
        clock.Stop();
        double? serverCpu = pid is { } after && serverCpuBefore is { } b && ReadCpuSeconds(after) is { } a ? a - b : null;
        double ownCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownCpuBefore).TotalSeconds;
        double[] all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(server.ToString(), workload, clients, all.Length, failed, clock.Elapsed.TotalSeconds,
            Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99),
            poll ? 0 : (long)clients * promptsPerClient * 3, received, pid is { } p ? ReadRss(p) : null,
            serverCpu, ownCpu);
    }

    private static async Task<(int Failed, long Events)> RunClientAsync(HttpClient http, Uri server, string workload, string checkpoint, int prompts, long sequence, List<double> latencies, CancellationToken cancellationToken)
    {
        string clientId = Guid.NewGuid().ToString("N");
        using var socket = new ClientWebSocket();
        if (http.DefaultRequestHeaders.Authorization is { } authorization)
        {
            socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        }
        var wsUri = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/ws", Query = "clientId=" + clientId }.Uri;
        await socket.ConnectAsync(wsUri, cancellationToken).ConfigureAwait(false);
        var reader = new EventReader(socket);
        var bodies = new PromptBodies(workload, checkpoint, clientId);
        int failedCount = 0;
        long events = 0;
        for (int i = 0; i < prompts; i++)
        {
            using HttpContent content = bodies.Create(sequence + i);
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await http.PostAsync(PromptPath, content, cancellationToken).ConfigureAwait(false);
            byte[] reply = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{server} refused the '{workload}' prompt: {(int)response.StatusCode} {Encoding.UTF8.GetString(reply)}");
            }
            string promptId = ReadPromptId(reply);
            (bool ok, int seen) = await reader.WaitForCompletionAsync(promptId, cancellationToken).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            events += seen;
            if (!ok)
            {
                failedCount++;
            }
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(false);
        return (failedCount, events);
    }

    private static async Task<(int Failed, long Events)> RunPollingClientAsync(HttpClient http, string workload, string checkpoint, int prompts, long sequence, List<double> latencies, CancellationToken cancellationToken)
    {
        int failedCount = 0;
        for (int i = 0; i < prompts; i++)
        {
            var body = new JsonObject { ["prompt"] = Workloads.Build(workload, sequence + i, checkpoint) };
            long start = Stopwatch.GetTimestamp();
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await http.PostAsync(new Uri("/prompt", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"the server refused the '{workload}' prompt: {(int)response.StatusCode} {text}");
            }
            string promptId = (string)JsonNode.Parse(text)!["prompt_id"]!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PromptTimeout);
            while (true)
            {
                string history = await http.GetStringAsync(new Uri($"/history/{promptId}", UriKind.Relative), timeout.Token).ConfigureAwait(false);
                if (JsonNode.Parse(history)?[promptId] is JsonNode entry)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if ((string?)entry["status"]?["status_str"] != "success")
                    {
                        failedCount++;
                    }
                    break;
                }
                await Task.Delay(1, timeout.Token).ConfigureAwait(false);
            }
        }
        return (failedCount, 0);
    }

    private static readonly Uri PromptPath = new("/prompt", UriKind.Relative);

    private static string ReadPromptId(byte[] reply)
    {
        using JsonDocument doc = JsonDocument.Parse(reply);
        return doc.RootElement.GetProperty("prompt_id").GetString() ?? throw new InvalidOperationException("the server answered a null prompt_id");
    }

    /// <summary>
    /// The POST /prompt bodies of one client: the JSON is serialised once with a marker where the
    /// varying number (colour or seed) goes, and each submission splices its number in. The bytes are
    /// exactly those of serialising the freshly built prompt.
    /// </summary>
    private sealed class PromptBodies
    {
        private const long Marker = 918273645546372819;
        private static readonly System.Net.Http.Headers.MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
        private readonly string _workload;
        private readonly string _checkpoint;
        private readonly string _clientId;
        private readonly byte[]? _head;
        private readonly byte[]? _tail;

        public PromptBodies(string workload, string checkpoint, string clientId)
        {
            (_workload, _checkpoint, _clientId) = (workload, checkpoint, clientId);
            string text = Serialize(Workloads.BuildWithVarying(workload, Marker, checkpoint));
            string marker = Marker.ToString(System.Globalization.CultureInfo.InvariantCulture);
            int at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && text.IndexOf(marker, at + 1, StringComparison.Ordinal) < 0)
            {
                _head = Encoding.UTF8.GetBytes(text[..at]);
                _tail = Encoding.UTF8.GetBytes(text[(at + marker.Length)..]);
            }
        }

        public HttpContent Create(long sequence)
        {
            byte[] body;
            if (_head is null || _tail is null)
            {
                body = Encoding.UTF8.GetBytes(Serialize(Workloads.Build(_workload, sequence, _checkpoint)));
            }
            else
            {
                long varying = Workloads.Varying(_workload, sequence);
                Span<byte> digits = stackalloc byte[24];
                varying.TryFormat(digits, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
                body = new byte[_head.Length + n + _tail.Length];
                _head.CopyTo(body, 0);
                digits[..n].CopyTo(body.AsSpan(_head.Length));
                _tail.CopyTo(body, _head.Length + n);
            }
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = Json;
            return content;
        }

        private string Serialize(JsonObject prompt) => new JsonObject { ["prompt"] = prompt, ["client_id"] = _clientId }.ToJsonString();
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>utime + stime of a process from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static double? ReadCpuSeconds(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(rest[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(rest[12], System.Globalization.CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long? ReadRss(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>
    /// Reads text frames and counts the per-prompt events that matter; binary frames are skipped. Most
    /// frames are broadcasts (<c>status</c>) or progress of no interest: the envelope's leading
    /// <c>type</c> and a byte search for the prompt id decide before anything is parsed.
    /// </summary>
    private sealed class EventReader(ClientWebSocket socket)
    {
        private static readonly byte[] TypeKey = "type"u8.ToArray();
        private byte[] _buffer = new byte[1 << 16];

        public async Task<(bool Ok, int Events)> WaitForCompletionAsync(string promptId, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PromptTimeout);
            byte[] id = Encoding.UTF8.GetBytes(promptId);
            bool ok = false;
            int events = 0;
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == _buffer.Length)
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }
                    result = await socket.ReceiveAsync(_buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        throw new InvalidOperationException("the server closed the WebSocket");
                    }
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    continue;
                }
                ReadOnlySpan<byte> frame = _buffer.AsSpan(0, length);
                if (frame.IndexOf(id) < 0 || LeadingType(frame) is EventKind.Other)
                {
                    continue;
                }
                using JsonDocument doc = JsonDocument.Parse(_buffer.AsMemory(0, length));
                JsonElement root = doc.RootElement;
                string? type = root.GetProperty("type").GetString();
                if (!root.TryGetProperty("data", out JsonElement data) || !data.TryGetProperty("prompt_id", out JsonElement pid) || !pid.ValueEquals(id))
                {
                    continue;
                }
                switch (type)
                {
                    case "execution_start":
                        events++;
                        break;
                    case "execution_success":
                        events++;
                        ok = true;
                        break;
                    case "execution_error" or "execution_interrupted":
                        events++;
                        break;
                    case "executing" when data.GetProperty("node").ValueKind == JsonValueKind.Null:
                        return (ok, events + 1);
                }
            }
        }

        private enum EventKind { Other, Counted, Unknown }

        /// <summary>
        /// The kind of a frame from its first property when that is <c>type</c> (how both servers write
        /// the envelope); <see cref="EventKind.Unknown"/> otherwise, so such a frame is parsed in full.
        /// </summary>
        private static EventKind LeadingType(ReadOnlySpan<byte> frame)
        {
            try
            {
                var reader = new Utf8JsonReader(frame);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.Read()
                    || reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals(TypeKey) || !reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return EventKind.Unknown;
                }
                return reader.ValueTextEquals("execution_start"u8) || reader.ValueTextEquals("execution_success"u8) || reader.ValueTextEquals("execution_error"u8)
                    || reader.ValueTextEquals("execution_interrupted"u8) || reader.ValueTextEquals("executing"u8)
                    ? EventKind.Counted
                    : EventKind.Other;
            }
            catch (JsonException)
            {
                return EventKind.Unknown;
            }
        }
    }
}
