namespace ComfySharp.Client;

/// <summary>Options of <see cref="ComfyClient"/>.</summary>
public sealed record ComfyClientOptions
{
    /// <summary>Bearer token sent as <c>Authorization</c> on HTTP and the WebSocket upgrade.</summary>
    public string? Token { get; init; }

    /// <summary>The WebSocket client id; a fresh 32-hex id when null.</summary>
    public string? ClientId { get; init; }

    /// <summary>An HttpClient to use (its BaseAddress is ignored); a new one when null.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>First reconnect delay; doubled per failed attempt.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of the reconnect delay.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect attempts before giving up (per outage).</summary>
    public int MaxReconnectAttempts { get; init; } = 12;
}
