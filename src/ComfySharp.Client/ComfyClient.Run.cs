using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>Options of <see cref="ComfyClient.RunAsync"/>.</summary>
public sealed record RunOptions
{
    /// <summary>Where to save the output files; nothing is downloaded when null.</summary>
    public string? DownloadDirectory { get; init; }

    /// <summary>Also download <c>temp</c> files (PreviewImage results).</summary>
    public bool DownloadTemp { get; init; }

    /// <summary>Announce <c>supports_preview_metadata</c> so previews carry their node and prompt.</summary>
    public bool SendFeatureFlags { get; init; }

    /// <summary>Called for each event of this prompt (and broadcasts such as status, previews, text).</summary>
    public Action<ComfyEvent>? OnEvent { get; init; }

    /// <summary>Extra data sent with the prompt (e.g. <c>extra_pnginfo</c>).</summary>
    public JsonObject? ExtraData { get; init; }

    /// <summary>A URL the server POSTs the result to when the prompt ends (<c>extra_data.webhook</c>; ComfySharp servers).</summary>
    public Uri? Webhook { get; init; }

    /// <summary>Throw <see cref="ComfyExecutionException"/> when the prompt fails (else return the failed result).</summary>
    public bool ThrowOnFailure { get; init; } = true;

    /// <summary>How long to wait for a message before checking <c>/history</c> anyway.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The result of <see cref="ComfyClient.RunAsync"/>.</summary>
/// <param name="PromptId">The prompt id.</param>
/// <param name="History">The history entry (outputs, status messages).</param>
/// <param name="DownloadedFiles">Local paths of downloaded files.</param>
public sealed record RunResult(string PromptId, HistoryEntry History, IReadOnlyList<string> DownloadedFiles)
{
    /// <summary>Node id → UI dict.</summary>
    public JsonObject Outputs => History.Outputs;

    /// <summary>True when the run succeeded.</summary>
    public bool Succeeded => History.Completed;
}

public sealed partial class ComfyClient
{
    /// <summary>
    /// Queues <paramref name="prompt"/>, follows its events and returns when it finished, with its outputs
    /// (downloaded when asked). A lost connection is re-established with exponential backoff, and the
    /// outcome is re-read from <c>/history</c> and <c>/api/jobs</c>, so a completion is never missed.
    /// </summary>
    public async Task<RunResult> RunAsync(JsonObject prompt, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new RunOptions();
        ClientWebSocket? socket = await ConnectSocketAsync(options.SendFeatureFlags, cancellationToken).ConfigureAwait(false);
        try
        {
            QueuedPromptInfo queued = await QueuePromptAsync(prompt, WithWebhook(options.ExtraData, options.Webhook), cancellationToken: cancellationToken).ConfigureAwait(false);
            string promptId = queued.PromptId;
            HistoryEntry? entry = null;
            Task<ComfyEvent?>? pending = null;
            while (entry is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (socket is null)
                {
                    (socket, entry) = await ReconnectAsync(promptId, options, cancellationToken).ConfigureAwait(false);
                    pending = null;
                    continue;
                }
                pending ??= ReceiveAsync(socket, cancellationToken);
                Task finished = await Task.WhenAny(pending, Task.Delay(options.ResyncInterval, cancellationToken)).ConfigureAwait(false);
                if (finished != pending)
                {
                    entry = await TryGetFinishedAsync(promptId, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                ComfyEvent? message;
                try
                {
                    message = await pending.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or FormatException && !cancellationToken.IsCancellationRequested)
                {
                    message = null;
                }
                pending = null;
                if (message is null)
                {
                    socket.Dispose();
                    socket = null;
                    continue;
                }
                if (message.PromptId is null || message.PromptId == promptId)
                {
                    options.OnEvent?.Invoke(message);
                }
                if (message is ExecutingEvent { Node: null } done && done.PromptId == promptId)
                {
                    entry = await WaitForHistoryAsync(promptId, cancellationToken).ConfigureAwait(false);
                }
            }
            return await FinishAsync(promptId, entry, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private async Task<(ClientWebSocket? Socket, HistoryEntry? Entry)> ReconnectAsync(string promptId, RunOptions options, CancellationToken cancellationToken)
    {
        TimeSpan delay = Options.ReconnectDelay;
        for (int attempt = 0; attempt < Options.MaxReconnectAttempts; attempt++)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.MaxReconnectDelay.Ticks));
            ClientWebSocket socket;
            try
            {
                socket = await ConnectSocketAsync(options.SendFeatureFlags, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException)
            {
                continue;
            }
            // The socket is open before the check, so a completion after it arrives as an event.
            try
            {
                HistoryEntry? entry = await TryGetFinishedAsync(promptId, cancellationToken).ConfigureAwait(false);
                if (entry is not null)
                {
                    socket.Dispose();
                    return (null, entry);
                }
                if (await GetJobAsync(promptId, cancellationToken).ConfigureAwait(false) is null)
                {
                    socket.Dispose();
                    throw new ComfyClientException($"The server no longer knows prompt {promptId} (neither queued nor in history).");
                }
                return (socket, null);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                socket.Dispose();
            }
        }
        throw new ComfyClientException($"Lost the connection to {BaseAddress} and could not reconnect after {Options.MaxReconnectAttempts} attempts.");
    }

    private async Task<HistoryEntry?> TryGetFinishedAsync(string promptId, CancellationToken cancellationToken)
    {
        try
        {
            return await GetHistoryAsync(promptId, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task<HistoryEntry> WaitForHistoryAsync(string promptId, CancellationToken cancellationToken)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(20);
        for (int i = 0; i < 50; i++)
        {
            if (await GetHistoryAsync(promptId, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                return entry;
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
        throw new ComfyClientException($"Prompt {promptId} finished but has no history entry.");
    }

    private async Task<RunResult> FinishAsync(string promptId, HistoryEntry entry, RunOptions options, CancellationToken cancellationToken)
    {
        if (!entry.Completed && options.ThrowOnFailure)
        {
            throw new ComfyExecutionException(entry);
        }
        var downloaded = new List<string>();
        if (options.DownloadDirectory is { } directory)
        {
            foreach (ImageRef file in entry.Files.Where(f => f.Type == "output" || (options.DownloadTemp && f.Type == "temp")).Distinct())
            {
                downloaded.Add(await DownloadAsync(file, directory, cancellationToken).ConfigureAwait(false));
            }
        }
        return new RunResult(promptId, entry, downloaded);
    }
}
