using ComfySharp.Abstractions.Files;
using Xunit;

namespace ComfySharp.Engine.Tests;

/// <summary>Path containment on a real directory tree with real symbolic links.</summary>
public sealed class SafePathTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("safepath-").FullName;
    private readonly string _root;
    private readonly string _outside;

    public SafePathTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_base, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "inner"));
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Fact]
    public void Plain_subfolders_and_the_root_itself_are_contained()
    {
        Assert.Equal(_root, SafePath.Contain(_root, ""));
        Assert.Equal(Path.Combine(_root, "inner"), SafePath.Contain(_root, "inner"));
        Assert.Equal(Path.Combine(_root, "inner", "new", "deeper"), SafePath.Contain(_root, "inner/new/deeper"));
        Assert.Equal(Path.Combine(_root, "inner"), SafePath.Contain(_root + "/", "inner"));
    }

    [Fact]
    public void Dot_dot_and_rooted_paths_are_refused()
    {
        Assert.Null(SafePath.Contain(_root, "../outside"));
        Assert.Null(SafePath.Contain(_root, "inner/../../outside"));
        Assert.Null(SafePath.Contain(_root, _outside));
        Assert.Null(SafePath.Contain(_root, "a\0b"));
    }

    [Fact]
    public void Links_are_followed_whether_they_stay_inside_escape_or_dangle()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "inside-link"), Path.Combine(_root, "inner"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_outside, "not-yet"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "relative-escape"), "../outside");

        Assert.Equal(Path.Combine(_root, "inside-link", "x"), SafePath.Contain(_root, "inside-link/x"));
        Assert.Null(SafePath.Contain(_root, "escape"));
        Assert.Null(SafePath.Contain(_root, "escape/sub/file.png"));
        Assert.Null(SafePath.Contain(_root, "dangling"));
        Assert.Null(SafePath.Contain(_root, "relative-escape/file.png"));
        Assert.Equal(Path.Combine(_outside, "sub"), SafePath.ResolveLinks(Path.Combine(_root, "escape", "sub")));
    }

    [Fact]
    public void A_root_reached_through_a_link_contains_its_own_subfolders()
    {
        string linkedRoot = Path.Combine(_base, "linked-root");
        Directory.CreateSymbolicLink(linkedRoot, _root);
        Assert.Equal(linkedRoot, SafePath.Contain(linkedRoot, ""));
        Assert.Equal(Path.Combine(linkedRoot, "inner"), SafePath.Contain(linkedRoot, "inner"));
        Assert.Null(SafePath.Contain(linkedRoot, "../outside"));
        Assert.Equal(_root, SafePath.ResolveLinks(linkedRoot));
    }
}
