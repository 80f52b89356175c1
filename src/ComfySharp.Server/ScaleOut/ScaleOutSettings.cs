namespace ComfySharp.Server.ScaleOut;

/// <summary>The resolved scale-out settings of this process.</summary>
/// <param name="ConnectionString">The shared database.</param>
/// <param name="WorkerId">This process's name in the queue.</param>
/// <param name="Lease">The claim lease.</param>
/// <param name="MaxAttempts">Attempts per prompt when its worker is lost.</param>
/// <param name="Tags">This worker's capability tags.</param>
internal sealed record ScaleOutSettings(string ConnectionString, string WorkerId, TimeSpan Lease, int MaxAttempts, IReadOnlyList<string> Tags)
{
    /// <summary>How often a worker beats in the registry (a third of the lease, between 0.5 and 5 seconds).</summary>
    public TimeSpan Beat => TimeSpan.FromSeconds(Math.Clamp(Lease.TotalSeconds / 3, 0.5, 5));

    /// <summary>A worker that has not beaten for this long is not counted as live (three beats and a second).</summary>
    public TimeSpan LiveWithin => (Beat * 3) + TimeSpan.FromSeconds(1);
}
