namespace ComfySharp.Abstractions;

/// <summary>How a node's definition is serialised in <c>/object_info</c> (NODES.md §1.1).</summary>
public enum NodeFlavor
{
    /// <summary>The reference's V1 nodes (<c>nodes.py</c>).</summary>
    Classic,
    /// <summary>The reference's V3 schema nodes (<c>comfy_extras</c>).</summary>
    Schema,
}

/// <summary>One output slot of a node.</summary>
/// <param name="Type">Wire type string.</param>
/// <param name="Name">Display name; defaults to the type.</param>
/// <param name="IsList">OUTPUT_IS_LIST: each call returns a list for this slot, and the lists are concatenated.</param>
/// <param name="Tooltip">Help text.</param>
public sealed record OutputSpec(string Type, string? Name = null, bool IsList = false, string? Tooltip = null)
{
    /// <summary>The V3 match-type template id whose type this output takes (<c>output_matchtypes</c>), or null.</summary>
    public string? MatchType { get; init; }

    /// <summary>The display name served in <c>output_name</c>.</summary>
    public string DisplayName => Name ?? Type;
}

/// <summary>
/// Parameters of a node's custom input validation (the reference's <c>VALIDATE_INPUTS</c>): the
/// names it takes (those inputs skip the built-in min/max/combo checks), whether it wants the
/// linked inputs' types, and whether it accepts every input.
/// </summary>
/// <param name="Parameters">Input names the validation function declares.</param>
/// <param name="WantsInputTypes">Declares <c>input_types</c>: link type checks are skipped.</param>
/// <param name="AcceptsAllInputs">Declares <c>**kwargs</c>.</param>
public sealed record ValidationSignature(IReadOnlyList<string> Parameters, bool WantsInputTypes = false, bool AcceptsAllInputs = false);

/// <summary>
/// The static description of a node class: everything <c>/object_info</c> shows and everything the
/// validator and executor need to know before calling it. Kept apart from runtime behaviour.
/// </summary>
public sealed record NodeSchema
{
    /// <summary>The class name used as <c>class_type</c>.</summary>
    public required string ClassType { get; init; }
    /// <summary>Display name; null serialises as the class name (classic) or <c>null</c> (schema).</summary>
    public string? DisplayName { get; init; }
    /// <summary>Slash-separated menu path.</summary>
    public string Category { get; init; } = "sd";
    /// <summary>Description shown by the UI.</summary>
    public string Description { get; init; } = "";
    /// <summary>The reference's module name (<c>nodes</c>, <c>comfy_extras.nodes_mask</c>, ...).</summary>
    public string PythonModule { get; init; } = "nodes";
    /// <summary>Serialisation flavour.</summary>
    public NodeFlavor Flavor { get; init; } = NodeFlavor.Classic;
    /// <summary>OUTPUT_NODE: selected as an output of every prompt.</summary>
    public bool OutputNode { get; init; }
    /// <summary>Deprecated flag.</summary>
    public bool Deprecated { get; init; }
    /// <summary>Experimental flag.</summary>
    public bool Experimental { get; init; }
    /// <summary>API node flag.</summary>
    public bool? ApiNode { get; init; }
    /// <summary>Required inputs in declaration order.</summary>
    public IReadOnlyList<InputSpec> Required { get; init; } = [];
    /// <summary>Optional inputs in declaration order.</summary>
    public IReadOnlyList<InputSpec> Optional { get; init; } = [];
    /// <summary>Hidden inputs in declaration order.</summary>
    public IReadOnlyList<HiddenInput> Hidden { get; init; } = [];
    /// <summary>Output slots.</summary>
    public IReadOnlyList<OutputSpec> Outputs { get; init; } = [];
    /// <summary>Whether classic nodes write <c>output_tooltips</c> (after <c>output_node</c>).</summary>
    public bool HasOutputTooltips => Outputs.Any(o => o.Tooltip is not null);
    /// <summary>INPUT_IS_LIST: called once with every input as its whole list.</summary>
    public bool InputIsList { get; init; }
    /// <summary>NOT_IDEMPOTENT: the node id is part of its cache key.</summary>
    public bool NotIdempotent { get; init; }
    /// <summary>The function is asynchronous: other ready nodes may run while it waits (EXECUTION.md §12).</summary>
    public bool IsAsync { get; init; }
    /// <summary>Custom validation signature, when the node overrides <see cref="ComfyNode.ValidateInputsAsync"/>.</summary>
    public ValidationSignature? Validation { get; init; }

    /// <summary>
    /// The outputs carry the reference's "smart" variant types: custom input-type checks of consumers
    /// (the conformance pack's <c>input_types</c> validators) skip links from this node.
    /// </summary>
    public bool VariantOutputTypes { get; init; }

    /// <summary>All declared (required then optional) inputs.</summary>
    public IEnumerable<InputSpec> AllInputs => Required.Concat(Optional);

    /// <summary>Finds a declared input by name, including the concrete inputs of dynamic inputs (<c>images.image3</c>).</summary>
    public InputSpec? FindInput(string name)
    {
        foreach (var input in Required)
        {
            if (input.Name == name) { return input; }
        }
        foreach (var input in Optional)
        {
            if (input.Name == name) { return input; }
        }
        foreach (var input in AllInputs)
        {
            if (input is DynamicInput dynamic && name.StartsWith(input.Name + ".", StringComparison.Ordinal) && dynamic.FindExpanded(name) is { } expanded)
            {
                return expanded;
            }
        }
        return null;
    }

    /// <summary>
    /// The inputs a prompt node of this class has to satisfy, with dynamic inputs replaced by their concrete
    /// inputs for the node's submitted <paramref name="liveInputs"/>: (input, required) in declaration order.
    /// </summary>
    public IEnumerable<(InputSpec Spec, bool Required)> ExpandInputs(System.Text.Json.Nodes.JsonObject liveInputs)
    {
        ArgumentNullException.ThrowIfNull(liveInputs);
        foreach (var (input, required) in Required.Select(i => (i, true)).Concat(Optional.Select(i => (i, false))))
        {
            if (input is DynamicInput dynamic)
            {
                foreach (var (spec, specRequired) in dynamic.Expand(liveInputs))
                {
                    yield return (spec, required && specRequired);
                }
            }
            else
            {
                yield return (input, required);
            }
        }
    }
}
