using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;

namespace ComfySharp.Engine.Execution;

/// <summary>Node signatures and cache keys (EXECUTION.md §6.2), computed without recursion.</summary>
internal sealed partial class ExecutionRun
{
    // ---------------------------------------------------------------- signatures (EXECUTION.md §6.2)

    private static string Unique() => "U" + Guid.NewGuid().ToString("N");

    private async ValueTask<string> KeyAsync(string id)
    {
        if (_keys.TryGetValue(id, out string? known)) { return known; }
        // Post-order over ancestors without a key yet, iteratively (chains may be very deep).
        var order = new List<string>();
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(string Id, bool Expanded)>();
        stack.Push((id, false));
        while (stack.Count > 0)
        {
            var (node, expanded) = stack.Pop();
            if (_keys.ContainsKey(node)) { continue; }
            if (expanded) { order.Add(node); continue; }
            if (!visiting.Add(node)) { continue; }
            stack.Push((node, true));
            if (!Graph.HasNode(node)) { continue; }
            foreach (var (_, value) in Graph.GetInputs(node))
            {
                if (JsonValues.TryGetLink(value, out string src, out _) && Graph.HasNode(src) && !_keys.ContainsKey(src) && !visiting.Contains(src))
                {
                    stack.Push((src, false));
                }
            }
        }
        foreach (string node in order)
        {
            if (_keys.ContainsKey(node)) { continue; }
            string isChanged = await IsChangedAsync(node).ConfigureAwait(false);
            _keys[node] = ImmediateKey(node, isChanged);
        }
        return _keys.TryGetValue(id, out string? key) ? key : _keys[id] = Unique();
    }

    private string ImmediateKey(string id, string isChanged)
    {
        if (!Graph.HasNode(id)) { return Unique(); }
        string classType = Graph.GetClassType(id);
        var schema = SchemaOf(id);
        if (schema is null) { return Unique(); }
        var sb = new StringBuilder();
        sb.Append(classType).Append('\u0001').Append(isChanged).Append('\u0001');
        if (schema.NotIdempotent || schema.Hidden.Any(h => h.Kind == HiddenKind.UNIQUE_ID && h.PassThroughType is null))
        {
            sb.Append("id:").Append(id);
        }
        if (schema.OutputNode && Abstractions.Files.ComfyDirectories.Scope is { } scope)
        {
            // Inside a user's file scope an output node's result names files in that user's folders (a preview
            // in temp/u_NAME): another user's identical node must run again rather than get those names.
            sb.Append("scope:").Append(scope).Append('\u0001');
        }
        var inputs = Graph.GetInputs(id);
        foreach (var name in inputs.Select(kv => kv.Key).Order(StringComparer.Ordinal))
        {
            var value = inputs[name];
            sb.Append('\u0002').Append(name);
            if (JsonValues.TryGetLink(value, out string src, out int slot))
            {
                // A link's ancestor is identified by its own signature, never by its id.
                string srcKey = _keys.TryGetValue(src, out string? k) ? k : "missing:" + Unique();
                sb.Append("=>").Append(srcKey).Append('#').Append(slot);
            }
            else
            {
                sb.Append('=');
                Canon(sb, JsonValues.ToClr(value));
            }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Canonical text of a value for cache keys; unhashable values and NaN never match anything.</summary>
    private static void Canon(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null: sb.Append('N'); break;
            case bool b: sb.Append(b ? "I1" : "I0"); break;
            case long or ulong or BigInteger or int: sb.Append('I').Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case double d:
                if (double.IsNaN(d)) { sb.Append(Unique()); }
                else if (Math.Floor(d) == d && Math.Abs(d) < 1e18) { sb.Append('I').Append(((long)d).ToString(System.Globalization.CultureInfo.InvariantCulture)); }
                else { sb.Append('F').Append(d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)); }
                break;
            case string s: sb.Append('S').Append(s.Length).Append(':').Append(s); break;
            case JsonObject obj:
                sb.Append('{');
                foreach (var (k, v) in obj.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    sb.Append('S').Append(k.Length).Append(':').Append(k).Append('=');
                    Canon(sb, JsonValues.ToClr(v));
                    sb.Append(',');
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                foreach (var v in array) { Canon(sb, JsonValues.ToClr(v)); sb.Append(','); }
                sb.Append(']');
                break;
            case ExecutionBlocker: sb.Append('N'); break;
            default: sb.Append(Unique()); break;
        }
    }

    private async ValueTask<string> IsChangedAsync(string id)
    {
        var node = Graph.GetNode(id);
        if (node.TryGetPropertyValue("is_changed", out var verbatim))
        {
            var sbv = new StringBuilder("V");
            Canon(sbv, JsonValues.ToClr(verbatim));
            return sbv.ToString();
        }
        string classType = Graph.GetClassType(id);
        if (!_registry.TryGet(classType, out var registration)) { return "false"; }
        if (!_probes.TryGetValue(classType, out var probe))
        {
            probe = registration.Create();
            _probes[classType] = probe;
        }
        if (!probe.HasFingerprint) { return "false"; }
        try
        {
            var constants = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, value) in Graph.GetInputs(id))
            {
                var spec = registration.Schema.FindInput(name);
                if (JsonValues.IsLink(value) && value is JsonArray && JsonValues.TryGetLink(value, out _, out _) && spec is not { RawLink: true })
                {
                    constants[name] = null;
                }
                else if (spec is not null)
                {
                    constants[name] = JsonValues.ToClr(value);
                }
            }
            object? fingerprint = await probe.FingerprintInputsAsync(new NodeInputs(constants), Services).ConfigureAwait(false);
            var sb = new StringBuilder("[");
            Canon(sb, fingerprint is ExecutionBlocker ? null : fingerprint);
            return sb.Append(']').ToString();
        }
        catch (Exception)
        {
            return Unique();
        }
    }

    private async ValueTask<bool> IsCachedAsync(string id)
    {
        if (_results.ContainsKey(id)) { return true; }
        if (!_cache.Enabled) { return false; }
        return _cache.Contains(await KeyAsync(id).ConfigureAwait(false));
    }

    private async ValueTask<CacheEntry?> GetResultAsync(string id)
    {
        if (_results.TryGetValue(id, out var entry)) { return entry; }
        if (!_cache.Enabled || !Graph.HasNode(id)) { return null; }
        entry = _cache.Get(await KeyAsync(id).ConfigureAwait(false));
        if (entry is not null) { _results[id] = entry; }
        return entry;
    }
}
