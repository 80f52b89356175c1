using System.Globalization;
using System.Text;
using ComfySharp.LoadGen;

// Load generator for any ComfyUI-compatible server. Every server named is measured in the same
// invocation, one after another for each setting, so ratios are taken on the same machine at the
// same time. Example:
//   dotnet run -c Release --project bench/ComfySharp.LoadGen -- \
//       --server comfysharp=http://127.0.0.1:8188 --pid comfysharp=12345 \
//       --server reference=http://127.0.0.1:8189 --workload trivial --clients 1,16,64 --prompts 200
var servers = new List<(string Name, Uri Url)>();
var pids = new Dictionary<string, int>();
var apiKeys = new Dictionary<string, string>(StringComparer.Ordinal);
var workloads = new List<string>();
var clientCounts = new List<int>();
int prompts = 100;
int warmup = 5;
string checkpoint = "random_sd15.safetensors";
string? markdown = null;
bool poll = false;
int? soakSeconds = null;
int thinkMs = 0;
int seed = 1;
string? csv = null;
bool inference = false;
int repeats = 3;
var sizes = new List<int>();

try
{
    for (int i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--server":
                string s = Next();
                int eq = s.IndexOf('=', StringComparison.Ordinal);
                servers.Add(eq > 0 && !s[..eq].Contains(':', StringComparison.Ordinal) ? (s[..eq], new Uri(s[(eq + 1)..])) : (s, new Uri(s)));
                break;
            case "--pid":
                string p = Next();
                int at = p.IndexOf('=', StringComparison.Ordinal);
                pids[p[..at]] = int.Parse(p[(at + 1)..], CultureInfo.InvariantCulture);
                break;
            case "--api-key":
                string k = Next();
                int keyAt = k.IndexOf('=', StringComparison.Ordinal);
                apiKeys[k[..keyAt]] = k[(keyAt + 1)..];
                break;
            case "--workload": workloads.AddRange(Next().Split(',')); break;
            case "--clients": clientCounts.AddRange(Next().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))); break;
            case "--prompts": prompts = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--warmup": warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--checkpoint": checkpoint = Next(); break;
            case "--markdown": markdown = Next(); break;
            case "--poll": poll = true; break;
            case "--soak": soakSeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--think-ms": thinkMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--csv": csv = Next(); break;
            case "--inference": inference = true; break;
            case "--repeat": repeats = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--sizes": sizes.AddRange(Next().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))); break;
            case "-h" or "--help":
                Console.WriteLine("usage: LoadGen --server [NAME=]URL [--server ...] [--pid NAME=PID] [--api-key NAME=KEY (Bearer key for that server, --auth)] [--workload trivial,cached,chain100,chain100-cached,chain:N,chain:N-cached,sd15] [--clients 1,16,64] [--prompts N per client] [--warmup N per client, same clients, not measured] [--checkpoint NAME] [--markdown FILE] [--poll (no WebSocket: wait by polling /history, so no progress_state is built)]\n       LoadGen --server URL --pid PID --soak SECONDS [--clients 64] [--think-ms N] [--seed N] [--csv FILE]   (mixed valid/invalid prompts; samples RSS, threads, handles)\n       LoadGen --server NAME=URL [--server ...] [--pid NAME=PID] --inference [--checkpoint NAME] [--repeat 3] [--sizes 512,1024]   (load, text encode, UNet step, VAE decode/encode, peak RSS)");
                return 0;
            default: throw new ArgumentException($"unknown argument '{args[i]}'");
        }
    }
    if (servers.Count == 0)
    {
        throw new ArgumentException("name at least one --server URL");
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine($"LoadGen: {e.Message}");
    return 2;
}
if (inference)
{
    try
    {
        return await Inference.RunAsync(servers, pids, checkpoint, repeats, sizes.Count > 0 ? sizes : [512]).ConfigureAwait(false);
    }
    catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException)
    {
        Console.Error.WriteLine($"LoadGen: {e.Message}");
        return 1;
    }
}
if (soakSeconds is { } soakFor)
{
    if (servers.Count != 1 || !pids.TryGetValue(servers[0].Name, out int soakPid))
    {
        Console.Error.WriteLine("LoadGen: --soak needs exactly one --server and its --pid");
        return 2;
    }
    return await Soak.RunAsync(servers[0].Url, soakPid, clientCounts.Count > 0 ? clientCounts[0] : 64, TimeSpan.FromSeconds(soakFor),
        TimeSpan.FromMilliseconds(thinkMs), TimeSpan.FromSeconds(Math.Clamp(soakFor / 60, 2, 30)), seed, csv).ConfigureAwait(false);
}
if (workloads.Count == 0) { workloads.Add("trivial"); }
if (clientCounts.Count == 0) { clientCounts.Add(1); }

// Bounded in count and time: every run submits clients × prompts prompts and each waits at most 10 minutes.
using var cancel = new CancellationTokenSource(TimeSpan.FromHours(1));
var results = new List<LoadResult>();
try
{
    foreach (string workload in workloads)
    {
        foreach (int clients in clientCounts)
        {
            foreach (var (name, url) in servers)
            {
                if (warmup > 0)
                {
                    await LoadRun.RunAsync(url, workload, clients, warmup, checkpoint, null, poll, cancel.Token, apiKeys.GetValueOrDefault(name)).ConfigureAwait(false);
                }
                LoadResult r = await LoadRun.RunAsync(url, workload, clients, prompts, checkpoint, pids.TryGetValue(name, out int pid) ? pid : null, poll, cancel.Token, apiKeys.GetValueOrDefault(name)).ConfigureAwait(false);
                results.Add(r with { Server = name });
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-12} {workload,-16} clients={clients,-3} done={r.Completed} failed={r.Failed} {r.PromptsPerSecond,8:F1}/s p50={r.P50Ms:F2}ms p95={r.P95Ms:F2}ms p99={r.P99Ms:F2}ms events={r.EventsReceived}/{r.EventsExpected}{(r.RssBytes is { } rss ? $" rss={rss / 1048576.0:F0}MiB" : "")}{(r.ServerCpuMsPerPrompt is { } cpu ? $" server-cpu={cpu:F3}ms/prompt" : "")} loadgen-cpu={r.LoadGenCpuMsPerPrompt:F3}ms/prompt"));
            }
        }
    }
}
catch (Exception e) when (e is HttpRequestException or System.Net.WebSockets.WebSocketException or InvalidOperationException or OperationCanceledException)
{
    Console.Error.WriteLine($"LoadGen: {e.Message}");
    return 1;
}

var table = new StringBuilder();
table.AppendLine("| server | workload | clients | prompts/s | p50 ms | p95 ms | p99 ms | events | failed | RSS MiB | server CPU ms/prompt | LoadGen CPU ms/prompt |");
table.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
foreach (LoadResult r in results)
{
    table.AppendLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Server} | {r.Workload} | {r.Clients} | {r.PromptsPerSecond:F1} | {r.P50Ms:F2} | {r.P95Ms:F2} | {r.P99Ms:F2} | {r.EventsReceived}/{r.EventsExpected} | {r.Failed} | {(r.RssBytes is { } b ? (b / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) : "")} | {(r.ServerCpuMsPerPrompt is { } c ? c.ToString("F3", CultureInfo.InvariantCulture) : "")} | {r.LoadGenCpuMsPerPrompt:F3} |"));
}
if (servers.Count > 1)
{
    table.AppendLine();
    table.AppendLine($"Throughput ratio {servers[0].Name} / other, per setting:");
    foreach (var group in results.GroupBy(r => (r.Workload, r.Clients)))
    {
        LoadResult first = group.First();
        foreach (LoadResult other in group.Skip(1))
        {
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- {group.Key.Workload}, {group.Key.Clients} clients: {first.PromptsPerSecond / other.PromptsPerSecond:F2}× {other.Server}"));
        }
    }
}
Console.WriteLine();
Console.Write(table);
if (markdown is not null)
{
    await File.WriteAllTextAsync(markdown, table.ToString()).ConfigureAwait(false);
}
return results.Any(r => r.Failed > 0 || r.EventsReceived < r.EventsExpected) ? 1 : 0;
