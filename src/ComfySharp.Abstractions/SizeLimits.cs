namespace ComfySharp.Abstractions;

/// <summary>
/// Checks sizes and counts taken from inputs before libtorch sees them: every dimension non-negative and
/// the element count (computed without overflow) within <see cref="ServerOptions.MaxTensorElements"/>.
/// A failed check is a node error (<c>ValueError</c>), never a native abort or an out-of-memory kill.
/// </summary>
public static class SizeLimits
{
    /// <summary>Throws a <see cref="NodeException"/> when <paramref name="dimensions"/> describe a tensor that may not be built.</summary>
    /// <param name="services">Where the registered <see cref="ServerOptions"/> are found (may be null: the defaults apply).</param>
    /// <param name="what">What is being built, for the message (e.g. <c>"EmptyImage: the image batch"</c>).</param>
    /// <param name="dimensions">The shape.</param>
    public static void EnsureAllocatable(IServiceProvider? services, string what, params ReadOnlySpan<long> dimensions)
    {
        long limit = ServerOptions.From(services).MaxTensorElements;
        long elements = 1;
        foreach (long dimension in dimensions)
        {
            if (dimension < 0)
            {
                throw new NodeException("ValueError", $"{what}: negative size {dimension} in shape [{string.Join(", ", dimensions.ToArray())}].");
            }
            elements = dimension == 0 || elements <= limit / Math.Max(dimension, 1) ? elements * dimension : long.MaxValue;
        }
        if (elements > limit)
        {
            throw new NodeException("ValueError",
                $"{what}: shape [{string.Join(", ", dimensions.ToArray())}] is larger than the limit of {limit} elements per tensor.");
        }
    }
}
