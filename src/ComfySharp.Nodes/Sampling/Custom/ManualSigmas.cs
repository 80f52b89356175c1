using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>A σ list typed as text: every number in the string, in order.</summary>
public sealed partial class ManualSigmas : ComfyNode
{
    /// <summary>The text holding the numbers.</summary>
    public static readonly StringInput Sigmas = new("sigmas") { Default = "1, 0.5", ExtraOptions = new JsonObject { ["multiline"] = false } };

    private static readonly NodeSchema Definition = CustomSampling.Schema("ManualSigmas", "_for_testing/custom_sampling", [Sigmas], IOTypes.SIGMAS) with { Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(Parse(inputs.Get(Sigmas))));
    }

    /// <summary>The numbers found in <paramref name="text"/> (the reference's pattern: optional sign, digits, dots).</summary>
    public static float[] Parse(string text) =>
        Number().Matches(text ?? "").Select(m => (float)double.Parse(m.Value, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();

    [GeneratedRegex(@"[-+]?(?:\d*\.*\d+)")]
    private static partial Regex Number();
}
