namespace ComfySharp.Client;

/// <summary>Options of <see cref="ComfyClient"/>.</summary>
public sealed record ComfyClientOptions
{
    /// <summary>Bearer token sent as <c>Authorization</c> on HTTP and the WebSocket upgrade.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// A ComfySharp API key (<c>comfysharp keys create</c>): sent as <c>Authorization: Bearer</c> on every HTTP
    /// request and as <c>?token=</c> on the <c>/ws</c> URL. Takes precedence over <see cref="Token"/>.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>The credential actually sent: <see cref="ApiKey"/>, else <see cref="Token"/>; null when neither is set.</summary>
    internal string? Credential => ApiKey is { Length: > 0 } key ? key : Token is { Length: > 0 } token ? token : null;

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
