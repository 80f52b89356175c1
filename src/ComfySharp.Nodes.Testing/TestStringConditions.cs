using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>String Condition (TESTPACK.md §6).</summary>
public sealed class TestStringConditions : ComfyNode
{
    internal static readonly StringInput A = new("a") { ExtraOptions = new() { ["multiline"] = false } };
    internal static readonly StringInput B = new("b") { ExtraOptions = new() { ["multiline"] = false } };
    internal static readonly ComboInput Operation = new("operation", ["a == b", "a != b", "a IN b", "a MATCH REGEX(b)", "a BEGINSWITH b", "a ENDSWITH b"]) { OneElementSpec = true };
    internal static readonly BooleanInput CaseSensitive = new("case_sensitive") { Default = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestStringConditions", DisplayName = "String Condition", Category = "Testing/Logic", PythonModule = PackSupport.Module,
        Required = [A, B, Operation, CaseSensitive],
        Outputs = [new OutputSpec(IOTypes.BOOLEAN)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    private static bool MatchesAtStart(string text, string pattern)
    {
        try
        {
            // Python's re.match: the pattern must match at the start, not necessarily the whole text.
            return new System.Text.RegularExpressions.Regex("^(?:" + pattern + ")", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)).IsMatch(text);
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string a = inputs.Get(A);
        string b = inputs.Get(B);
        if (!inputs.Get(CaseSensitive)) { a = a.ToLowerInvariant(); b = b.ToLowerInvariant(); }
        bool result = inputs.Get(Operation) switch
        {
            "a == b" => a == b,
            "a != b" => a != b,
            "a IN b" => b.Contains(a, StringComparison.Ordinal),
            "a MATCH REGEX(b)" => MatchesAtStart(a, b),
            "a BEGINSWITH b" => a.StartsWith(b, StringComparison.Ordinal),
            "a ENDSWITH b" => a.EndsWith(b, StringComparison.Ordinal),
            _ => false,
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
