namespace ComfySharp.Abstractions;

/// <summary>
/// Server-wide settings that nodes may read through <see cref="NodeContext.GetService{T}"/> (the host
/// registers one instance built from its command line). Nodes fall back to <see cref="Default"/> when
/// none is registered.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The default pixel cap: a 16384 × 16384 picture (the largest size any node accepts).</summary>
    public const long DefaultMaxImagePixels = 16384L * 16384L;

    /// <summary>Settings used when the host registered none.</summary>
    public static ServerOptions Default { get; } = new();

    /// <summary><c>--disable-metadata</c>: SaveImage/PreviewImage write no PNG text chunks.</summary>
    public bool DisableMetadata { get; init; }

    /// <summary>
    /// Largest number of pixels a decoded image file may have (all frames together), so that a small
    /// compressed file cannot make the server allocate gigabytes (a decompression bomb).
    /// </summary>
    public long MaxImagePixels { get; init; } = DefaultMaxImagePixels;

    /// <summary>
    /// The default cap on one tensor a node creates from its inputs: 2^30 elements (4 GiB of float32).
    /// libtorch would try to allocate whatever it is asked for; a widget of 16384 × 16384 × 4096 must
    /// fail as a node error instead of taking the machine's memory (and the process) down.
    /// </summary>
    public const long DefaultMaxTensorElements = 1L << 30;

    /// <summary>Largest number of elements one tensor built from widget sizes may have (<see cref="SizeLimits"/>).</summary>
    public long MaxTensorElements { get; init; } = DefaultMaxTensorElements;

    /// <summary>Reads the registered options, or <see cref="Default"/>.</summary>
    public static ServerOptions From(IServiceProvider? services) =>
        services?.GetService(typeof(ServerOptions)) as ServerOptions ?? Default;
}
