using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Where does a running server allocate? The runtime samples an allocation about every 100 KB
// (GCAllocationTick, with the allocating call stack); this tool adds those samples up by type and
// by the first frames of our own code, so the biggest allocation sites come first. Take a trace with
//   dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:00:05 -o alloc.nettrace
// while a load runs (docs/performance.md), then
//   dotnet run -c Release --project bench/ComfySharp.AllocSites -- alloc.nettrace [frames=3] [rows=30]
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: ComfySharp.AllocSites TRACE.nettrace [frames per site, default 3] [rows, default 30]");
    return args.Length == 0 ? 2 : 0;
}
int frames = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
int rows = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;

string etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
var bySite = new Dictionary<string, long>(StringComparer.Ordinal);
long total = 0;
foreach (var ev in log.Events)
{
    if (ev is not GCAllocationTickTraceData tick)
    {
        continue;
    }
    total += tick.AllocationAmount64;
    var site = new List<string>();
    for (TraceCallStack? stack = ev.CallStack(); stack is not null && site.Count < frames; stack = stack.Caller)
    {
        string method = stack.CodeAddress.FullMethodName;
        // Library plumbing (collections, JSON nodes, builders) says little; the caller in our code does.
        if (!string.IsNullOrEmpty(method) && !IsPlumbing(method))
        {
            site.Add(method.Length > 120 ? method[..120] : method);
        }
    }
    string key = tick.TypeName + " <- " + string.Join(" <- ", site);
    bySite[key] = bySite.GetValueOrDefault(key) + tick.AllocationAmount64;
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total / 1e6:F1} MB allocated in the sampled window (divide by the prompts run in it for bytes per prompt)"));
foreach (var (site, bytes) in bySite.OrderByDescending(kv => kv.Value).Take(rows))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes * 100.0 / Math.Max(1, total),5:F1}% {site}"));
}
return 0;

static bool IsPlumbing(string method) =>
    method.StartsWith("System.Text.Json.Nodes", StringComparison.Ordinal) || method.StartsWith("System.Collections", StringComparison.Ordinal)
    || method.StartsWith("System.Text.StringBuilder", StringComparison.Ordinal) || method.StartsWith("System.String", StringComparison.Ordinal)
    || method.StartsWith("System.Linq", StringComparison.Ordinal) || method.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal)
    || method.StartsWith("System.Buffers", StringComparison.Ordinal) || method.StartsWith("System.Array", StringComparison.Ordinal);
