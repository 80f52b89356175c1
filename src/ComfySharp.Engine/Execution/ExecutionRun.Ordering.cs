using System.Text.Json.Nodes;
using ComfySharp.Engine.Graph;

namespace ComfySharp.Engine.Execution;

/// <summary>The execution list and its ordering (EXECUTION.md §5): pending nodes, blocks, the friendly pick, cycles.</summary>
internal sealed partial class ExecutionRun
{
    // ---------------------------------------------------------------- scheduling (EXECUTION.md §5)

    private void SetBlockCount(string id, int count)
    {
        _blockCount[id] = count;
        if (_pending.TryGetValue(id, out long seq))
        {
            if (count == 0) { _ready.Add((RankOf(id), seq, id)); }
            else { _ready.Remove((RankOf(id), seq, id)); }
        }
    }

    private int RankOf(string id) => _rank.GetValueOrDefault(id, NotFriendly);

    /// <summary>
    /// The "friendly pick" of §5 as a rank kept up to date as links appear, so picking is O(log n) instead of a
    /// scan of every ready node: 0 = an output or async node, 1 = blocks one, 2 = blocks a node that blocks one,
    /// 3 = anything else. A pending node's rank only falls (links are removed only when their source finishes),
    /// so each node is lowered at most three times and propagation costs O(links) per prompt.
    /// </summary>
    private void LowerRank(string id, int candidate)
    {
        int current = RankOf(id);
        if (candidate >= current) { return; }
        if (_pending.TryGetValue(id, out long seq) && _blockCount.GetValueOrDefault(id) == 0 && _ready.Remove((current, seq, id)))
        {
            _ready.Add((candidate, seq, id));
        }
        _rank[id] = candidate;
        if (candidate + 1 < NotFriendly && _blockedBy.TryGetValue(id, out var sources))
        {
            foreach (string source in sources) { LowerRank(source, candidate + 1); }
        }
    }

    private const int NotFriendly = 3;

    private async ValueTask AddNodeAsync(string root, bool includeLazy = false)
    {
        var stack = new Stack<string>();
        stack.Push(root);
        var links = new List<(string From, int Slot, string To)>();
        while (stack.Count > 0)
        {
            string id = stack.Pop();
            if (_pending.ContainsKey(id)) { continue; }
            _pending[id] = _sequence++;
            _blocking[id] = new HashSet<string>(StringComparer.Ordinal);
            _rank[id] = IsOutputOrAsync(id) ? 0 : NotFriendly;
            SetBlockCount(id, 0);
            var schema = SchemaOf(id);
            foreach (var (name, value) in Graph.GetInputs(id))
            {
                if (!JsonValues.TryGetLink(value, out string from, out int slot)) { continue; }
                bool lazy = schema?.FindInput(name)?.Lazy ?? false;
                if (includeLazy || !lazy)
                {
                    if (!await IsCachedAsync(from).ConfigureAwait(false)) { stack.Push(from); }
                    links.Add((from, slot, id));
                }
            }
        }
        foreach (var (from, slot, to) in links)
        {
            await AddStrongLinkAsync(from, slot, to).ConfigureAwait(false);
        }
    }

    private async ValueTask AddStrongLinkAsync(string from, int slot, string to)
    {
        _ = slot;
        if (await IsCachedAsync(from).ConfigureAwait(false)) { return; }
        await AddNodeAsync(from).ConfigureAwait(false);
        if (_blocking[from].Add(to))
        {
            if (!_blockedBy.TryGetValue(to, out var sources))
            {
                sources = new HashSet<string>(StringComparer.Ordinal);
                _blockedBy[to] = sources;
            }
            sources.Add(from);
            SetBlockCount(to, _blockCount[to] + 1);
            LowerRank(from, Math.Min(NotFriendly, RankOf(to) + 1));
        }
    }

    private void CompleteNode(string id)
    {
        if (_pending.Remove(id, out long seq)) { _ready.Remove((RankOf(id), seq, id)); }
        _rank.Remove(id);
        _blockedBy.Remove(id);
        if (_blocking.Remove(id, out var blocked))
        {
            foreach (string to in blocked)
            {
                if (_blockedBy.TryGetValue(to, out var sources)) { sources.Remove(id); }
                if (_blockCount.TryGetValue(to, out int count)) { SetBlockCount(to, count - 1); }
            }
        }
    }

    private void DrainAsyncCompletions()
    {
        while (_asyncDone.Reader.TryRead(out string? id))
        {
            _externalBlocks--;
            if (_blockCount.TryGetValue(id, out int count)) { SetBlockCount(id, count - 1); }
        }
    }

    private async ValueTask<(string? Picked, Failure? Cycle)> StageAsync()
    {
        DrainAsyncCompletions();
        while (_ready.Count == 0 && _externalBlocks > 0)
        {
            await _asyncDone.Reader.WaitToReadAsync().ConfigureAwait(false);
            DrainAsyncCompletions();
        }
        if (_ready.Count == 0)
        {
            var cycle = NodesInCycle();
            string blamed = cycle.Count > 0 ? cycle[0] : _pending.Keys.First();
            foreach (string id in cycle)
            {
                string display = Graph.GetDisplayNodeId(id);
                if (display != id) { blamed = display; break; }
            }
            return (null, new Failure(new JsonObject
            {
                ["node_id"] = blamed,
                ["exception_message"] = "Dependency cycle detected",
                ["exception_type"] = "graph.DependencyCycleError",
                ["traceback"] = new JsonArray(),
                ["current_inputs"] = new JsonArray(),
            }, false));
        }
        return (_ready.Min.Id, null);
    }

    private bool IsOutputOrAsync(string id) => SchemaOf(id) is { } s && (s.OutputNode || s.IsAsync);

    private List<string> NodesInCycle()
    {
        var blockedBy = _pending.OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (from, tos) in _blocking)
        {
            foreach (string to in tos)
            {
                if (blockedBy.TryGetValue(to, out var set)) { set.Add(from); }
            }
        }
        var order = _pending.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToList();
        while (true)
        {
            var removable = order.Where(id => blockedBy.ContainsKey(id) && blockedBy[id].Count == 0).ToList();
            if (removable.Count == 0) { break; }
            foreach (string id in removable)
            {
                blockedBy.Remove(id);
                foreach (var set in blockedBy.Values) { set.Remove(id); }
            }
        }
        return order.Where(blockedBy.ContainsKey).ToList();
    }
}
