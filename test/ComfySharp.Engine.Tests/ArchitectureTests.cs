using System.Xml.Linq;
using Xunit;

namespace ComfySharp.Engine.Tests;

/// <summary>Dependencies point one way (STYLE.md rule 4): the engine and the node contract know nothing of ASP.NET or TorchSharp.</summary>
public sealed class ArchitectureTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["ComfySharp.Abstractions"] = [],
        ["ComfySharp.Protocol"] = [],
        ["ComfySharp.Engine"] = ["ComfySharp.Abstractions", "ComfySharp.Protocol"],
        ["ComfySharp.Storage"] = ["ComfySharp.Engine"],
        ["ComfySharp.Torch"] = ["ComfySharp.Abstractions"],
        ["ComfySharp.Diffusion"] = ["ComfySharp.Torch"],
        ["ComfySharp.Nodes"] = ["ComfySharp.Abstractions", "ComfySharp.Protocol", "ComfySharp.Torch", "ComfySharp.Diffusion"],
        ["ComfySharp.Nodes.Testing"] = ["ComfySharp.Nodes"],
        ["ComfySharp.Server"] = ["ComfySharp.Engine", "ComfySharp.Storage", "ComfySharp.Protocol"],
        ["ComfySharp.Client"] = ["ComfySharp.Protocol"],
        ["ComfySharp.Cli"] = ["ComfySharp.Client"],
        ["ComfySharp.Host"] = ["ComfySharp.Server", "ComfySharp.Nodes", "ComfySharp.Nodes.Testing", "ComfySharp.Cli"],
    };

    [Fact]
    public void Project_references_follow_the_layers()
    {
        string src = Path.Combine(FindRoot(), "src");
        foreach (string csproj in Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories))
        {
            string name = Path.GetFileNameWithoutExtension(csproj);
            Assert.True(Allowed.ContainsKey(name), $"{name} has no entry in the layer table.");
            var refs = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!)).ToList();
            Assert.All(refs, r => Assert.Contains(r, Allowed[name]));
        }
    }

    [Theory]
    [InlineData("ComfySharp.Abstractions")]
    [InlineData("ComfySharp.Engine")]
    [InlineData("ComfySharp.Protocol")]
    public void Core_layers_reference_neither_AspNetCore_nor_TorchSharp(string project)
    {
        string csproj = Path.Combine(FindRoot(), "src", project, project + ".csproj");
        string text = File.ReadAllText(csproj);
        Assert.DoesNotContain("Microsoft.AspNetCore", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TorchSharp", text, StringComparison.Ordinal);
    }

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ComfySharp.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir!;
    }
}
