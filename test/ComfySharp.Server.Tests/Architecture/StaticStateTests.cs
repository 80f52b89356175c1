using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace ComfySharp.Server.Tests.Architecture;

/// <summary>
/// No process-wide mutable state (issue 23): a static field of a ComfySharp assembly is either a constant, or
/// <c>readonly</c> and of a type whose instances cannot change (strings, numbers, records of such, frozen or
/// read-only collections, node input descriptors, ...). A mutable static makes two servers in one process
/// (every test) share state and hides dependencies from the constructor; state belongs to a service the
/// server owns. The few statics that must stay (a lock-free cache of pure results) are listed with the reason.
/// </summary>
public sealed class StaticStateTests
{
    // Type.FullName + "." + field name → why it may stay.
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        // Still process-wide (issue 23 open item): previews held in memory before they reach temp/. Shared by every
        // server in the process, keyed by full path, so two servers on different folders never see each other's files.
        ["ComfySharp.Abstractions.Files.DeferredFileWrites.<MaxHeldFiles>k__BackingField"] = "held-preview budget (issue 23: becomes a server-owned service)",
        ["ComfySharp.Abstractions.Files.DeferredFileWrites.<MemoryBudgetBytes>k__BackingField"] = "held-preview budget (issue 23: becomes a server-owned service)",
        ["ComfySharp.Abstractions.Files.DeferredFileWrites.ByPath"] = "held previews by full path (issue 23: becomes a server-owned service)",
        ["ComfySharp.Abstractions.Files.DeferredFileWrites.Oldest"] = "held previews in arrival order (issue 23: becomes a server-owned service)",
        ["ComfySharp.Abstractions.Files.DeferredFileWrites._heldBytes"] = "held-preview accounting (issue 23: becomes a server-owned service)",
        ["ComfySharp.Abstractions.Files.DeferredFileWrites._heldFiles"] = "held-preview accounting (issue 23: becomes a server-owned service)",
        // The next free counter per output folder (full path): a cache of what a directory scan would find, valid for any server on that folder.
        ["ComfySharp.Nodes.Image.ImageSaver.NextCounters"] = "per-folder counter cache keyed by full path",
        // [ThreadStatic] scratch buffers: one per thread, never shared, hold no state between calls.
        ["ComfySharp.Nodes.Image.ImageSaver.t_pixels"] = "thread-static scratch buffer",
        ["ComfySharp.Protocol.PythonJson.t_builder"] = "thread-static scratch buffer",
        // Shared 0.0 / 1.0 float nodes: initial progress values, only serialised (never attached to a parent nor changed).
        ["ComfySharp.Engine.Execution.ProgressReporter.One"] = "shared initial value, only serialised",
        ["ComfySharp.Engine.Execution.ProgressReporter.Zero"] = "shared initial value, only serialised",
        // The conformance pack copies the reference's class-level state on purpose (its tests count concurrent users).
        ["ComfySharp.Nodes.Testing.TestAsyncResourceUser.InUse"] = "reference test node's class-level state",
    };

    private static readonly string[] MutableCollectionPrefixes =
    [
        "System.Collections.Generic.Dictionary`", "System.Collections.Generic.List`", "System.Collections.Generic.HashSet`",
        "System.Collections.Generic.Queue`", "System.Collections.Generic.Stack`", "System.Collections.Generic.SortedDictionary`",
        "System.Collections.Generic.LinkedList`", "System.Collections.Concurrent.", "System.Text.StringBuilder",
        "System.Text.Json.Nodes.", "System.Collections.ArrayList", "System.Collections.Hashtable",
    ];

    [Fact]
    public void No_ComfySharp_assembly_holds_mutable_static_state()
    {
        string folder = AppContext.BaseDirectory;
        var violations = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, "ComfySharp.*.dll").Append(Path.Combine(folder, "comfysharp.dll")).Where(File.Exists))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (name.EndsWith(".Tests", StringComparison.Ordinal) || name is "ComfySharp.TestKit")
            {
                continue;
            }
            foreach (Type type in Assembly.LoadFrom(file).GetTypes())
            {
                foreach (FieldInfo field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.IsLiteral || IsCompilerMade(type, field))
                    {
                        continue;
                    }
                    string key = $"{type.FullName}.{field.Name}";
                    string? why = !field.IsInitOnly ? "not readonly"
                        : !field.FieldType.IsValueType && MutableCollectionPrefixes.Any(p => field.FieldType.FullName?.StartsWith(p, StringComparison.Ordinal) == true) ? $"a mutable {field.FieldType.Name}"
                        : null;
                    if (why is not null && !Allowed.ContainsKey(key))
                    {
                        violations.Add($"{key}: {why}");
                    }
                }
            }
        }
        Assert.True(violations.Count == 0, $"{violations.Count} mutable statics:\n" + string.Join('\n', violations.Order(StringComparer.Ordinal)));
    }

    // Lambda caches, async state machines and the like are the compiler's, not a design choice.
    private static bool IsCompilerMade(Type type, FieldInfo field) =>
        type.IsDefined(typeof(CompilerGeneratedAttribute), false) || field.IsDefined(typeof(CompilerGeneratedAttribute), false) && !field.Name.Contains("BackingField", StringComparison.Ordinal)
        || type.FullName?.Contains('<') == true;
}
