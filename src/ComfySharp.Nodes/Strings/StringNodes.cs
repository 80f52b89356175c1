using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Registers the string nodes (utils/string).</summary>
public static class StringNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<StringConcatenate>();
        registry.Add<StringSubstring>();
        registry.Add<StringLength>();
        registry.Add<CaseConverter>();
        registry.Add<StringTrim>();
        registry.Add<StringReplace>();
        registry.Add<StringContains>();
        registry.Add<StringCompare>();
        registry.Add<RegexMatch>();
        registry.Add<RegexExtract>();
        registry.Add<RegexReplace>();
    }
}
