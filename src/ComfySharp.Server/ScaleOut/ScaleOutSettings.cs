namespace ComfySharp.Server.ScaleOut;

/// <summary>The resolved scale-out settings of this process.</summary>
/// <param name="ConnectionString">The shared database.</param>
/// <param name="WorkerId">This process's name in the queue.</param>
/// <param name="Lease">The claim lease.</param>
/// <param name="MaxAttempts">Attempts per prompt when its worker is lost.</param>
internal sealed record ScaleOutSettings(string ConnectionString, string WorkerId, TimeSpan Lease, int MaxAttempts);
