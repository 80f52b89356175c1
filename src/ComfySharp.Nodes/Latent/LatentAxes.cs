using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Latent;

/// <summary>Maps the x / y / t axis names of the latent slicing nodes to axes counted from the end.</summary>
internal static class LatentAxes
{
    /// <summary>x = last axis (−1), y = −2, t = −3; a leading minus sign is ignored here.</summary>
    public static long FromEnd(string dim) => dim.TrimStart('-') switch
    {
        "x" => -1,
        "y" => -2,
        "t" => -3,
        _ => throw new NodeException("ValueError", $"Unknown latent axis '{dim}'; expected x, y or t."),
    };
}
