using ComfySharp.Nodes.Strings;
using Xunit;
using static ComfySharp.Nodes.Tests.ModelPatches.PatchTestKit;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>The string and regex nodes against the values CPython gives for the same calls.</summary>
public sealed class StringNodeTests
{
    [Theory]
    [InlineData("héllo wörld", 1, -1, "éllo wörl")]
    [InlineData("abc", -2, 100, "bc")]
    [InlineData("abc", 2, 1, "")]
    [InlineData("a😀b", 1, 2, "😀")]
    public void Substring_slices_code_points_like_Python(string text, long start, long end, string expected) =>
        Assert.Equal(expected, One<string>(new StringSubstring(), new() { ["string"] = text, ["start"] = start, ["end"] = end }));

    [Fact]
    public void Length_counts_code_points_and_concatenate_joins()
    {
        Assert.Equal(3L, One<long>(new StringLength(), new() { ["string"] = "a😀b" }));
        Assert.Equal("a, b", One<string>(new StringConcatenate(), new() { ["string_a"] = "a", ["string_b"] = "b", ["delimiter"] = ", " }));
    }

    [Theory]
    [InlineData("UPPERCASE", "hello World", "HELLO WORLD")]
    [InlineData("lowercase", "Hello World", "hello world")]
    [InlineData("Capitalize", "hELLO wORLD", "Hello world")]
    [InlineData("Title Case", "they're bill's friends", "They'Re Bill'S Friends")]
    public void CaseConverter_follows_Python(string mode, string text, string expected) =>
        Assert.Equal(expected, One<string>(new CaseConverter(), new() { ["string"] = text, ["mode"] = mode }));

    [Fact]
    public void Trim_replace_contains_and_compare()
    {
        Assert.Equal("x ", One<string>(new StringTrim(), new() { ["string"] = "\t x ", ["mode"] = "Left" }));
        Assert.Equal("-a-b-", One<string>(new StringReplace(), new() { ["string"] = "ab", ["find"] = "", ["replace"] = "-" }));
        Assert.Equal("a+b+c", One<string>(new StringReplace(), new() { ["string"] = "a b c", ["find"] = " ", ["replace"] = "+" }));
        Assert.True(One<bool>(new StringContains(), new() { ["string"] = "Hello", ["substring"] = "ELL", ["case_sensitive"] = false }));
        Assert.False(One<bool>(new StringContains(), new() { ["string"] = "Hello", ["substring"] = "ELL", ["case_sensitive"] = true }));
        Assert.True(One<bool>(new StringCompare(), new() { ["string_a"] = "Prefix", ["string_b"] = "pre", ["mode"] = "Starts With", ["case_sensitive"] = false }));
        Assert.False(One<bool>(new StringCompare(), new() { ["string_a"] = "a", ["string_b"] = "A", ["mode"] = "Equal", ["case_sensitive"] = true }));
    }

    [Fact]
    public void Regex_nodes_follow_Pythons_re()
    {
        Dictionary<string, object?> Args(string text, string pattern, string mode, long group = 1) => new()
        {
            ["string"] = text, ["regex_pattern"] = pattern, ["mode"] = mode, ["case_insensitive"] = true, ["multiline"] = false, ["dotall"] = false, ["group_index"] = group,
        };
        // re.search / re.findall / groups on "a1b22c333".
        Assert.Equal("1", One<string>(new RegexExtract(), Args("a1b22c333", @"\d+", "First Match")));
        Assert.Equal("1\n22\n333", One<string>(new RegexExtract(), Args("a1b22c333", @"\d+", "All Matches")));
        Assert.Equal("b\nc", One<string>(new RegexExtract(), Args("a1b22c333", @"([a-z])(\d{2,})", "All Matches")));
        Assert.Equal("22", One<string>(new RegexExtract(), Args("a1b22c333", @"(?P<letter>[a-z])(\d{2,})", "First Group", 2)));
        Assert.Equal("", One<string>(new RegexExtract(), Args("a1b22c333", @"([a-z])", "First Group", 3)));
        Assert.Equal("", One<string>(new RegexExtract(), Args("abc", "(unclosed", "First Match")));
        Assert.True(One<bool>(new RegexMatch(), new() { ["string"] = "ABC", ["regex_pattern"] = "b", ["case_insensitive"] = true, ["multiline"] = false, ["dotall"] = false }));
        Assert.False(One<bool>(new RegexMatch(), new() { ["string"] = "a\nb", ["regex_pattern"] = "a.b", ["case_insensitive"] = true, ["multiline"] = false, ["dotall"] = false }));
        // re.sub(r"(\w+)@(\w+)", r"\2 at \g<1> $", "me@home you@work", count=1)
        Assert.Equal("home at me $ you@work", One<string>(new RegexReplace(), new()
        {
            ["string"] = "me@home you@work", ["regex_pattern"] = @"(\w+)@(\w+)", ["replace"] = @"\2 at \g<1> $", ["count"] = 1L,
        }));
        Assert.Throws<Abstractions.NodeException>(() => One<string>(new RegexReplace(), new() { ["string"] = "x", ["regex_pattern"] = "(", ["replace"] = "" }));
    }
}
