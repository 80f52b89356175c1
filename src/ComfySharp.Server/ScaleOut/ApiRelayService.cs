using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Server.WebSockets;
using ComfySharp.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ComfySharp.Server.ScaleOut;

/// <summary>
/// <c>--role api</c>: relays the workers' execution messages (LISTEN <c>comfysharp_events</c>) to this
/// node's WebSocket clients by <c>client_id</c>; takes in history entries the workers stored; drops
/// claimed prompts from this node's pending view; and takes back prompts of lost workers when no worker
/// is left to do it.
/// </summary>
internal sealed class ApiRelayService(PostgresPromptStore store, ClientHub hub, PromptQueue queue, ScaleOutSettings settings, ILogger<ApiRelayService> logger, IServiceProvider services,
    ClusterStats stats, ClusterQueue cluster)
    : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private NotificationListener? _listener;
    private EventPublisher? _publisher;
    private Task? _relay;
    private Task? _reaper;
    private readonly PreviewAssembler _previews = new();
    private PromptHistory? _history;
    private long _lastHistory;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Created with the service so /metrics has the cluster gauges from the first scrape.
        _ = stats;
        // Entries stored while the history loads arrive by notification or are taken in again by the
        // catch-up below (from a mark a little back: insertion numbers are taken before commit).
        _lastHistory = Math.Max(0, store.LastHistorySequence() - 1000);
        _history = (PromptHistory)services.GetService(typeof(PromptHistory))!;
        _listener = new NotificationListener(settings.ConnectionString, EventEnvelope.Channel, PostgresPromptStore.HistoryChannel, PostgresWorkQueue.ClaimedChannel);
        Action<string, Exception> log = ScaleOutRegistration.FailureLog(logger);
        _publisher = new EventPublisher(store.DataSource, log);
        NotificationListener listener = _listener;
        _relay = Task.Run(() => RelayAsync(listener, _stopping.Token), CancellationToken.None);
        var reaper = new LeaseReaper(new PostgresWorkQueue(store.DataSource, "api"), new RelaySink(_publisher), settings.MaxAttempts,
            line => logger.LogWarning("{Line}", line));
        _reaper = Task.Run(() => ReapAsync(reaper, _stopping.Token), CancellationToken.None);
        await Task.WhenAny(listener.Listening, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)).ConfigureAwait(false);
        CatchUpHistory();
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        foreach (Task? task in new[] { _relay, _reaper })
        {
            if (task is not null)
            {
                await task.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RelayAsync(NotificationListener listener, CancellationToken stopping)
    {
        await foreach (var (channel, payload) in listener.ReadAllAsync(stopping).ConfigureAwait(false))
        {
            try
            {
                switch (channel)
                {
                    case EventEnvelope.Channel:
                        Relay(payload);
                        break;
                    case PostgresWorkQueue.ClaimedChannel:
                        // Running elsewhere now: no longer pending in this node's view (the stored row is untouched).
                        queue.Delete(payload);
                        break;
                    case PostgresPromptStore.HistoryChannel:
                        // By id: insertion numbers are taken before commit, so "newer than the last seen" could skip one.
                        if (store.HistoryEntry(payload) is { } entry)
                        {
                            _history!.Import(payload, entry);
                        }
                        // The deployment's queue size, not this node's: clients see one queue.
                        hub.Send(MessageTypes.Status, Messages.StatusData(await cluster.CountAsync(stopping).ConfigureAwait(false)), MessageTarget.All, null);
                        break;
                    default:
                        // Reconnected: notifications may have been missed; take in everything again (idempotent).
                        _lastHistory = 0;
                        CatchUpHistory();
                        hub.Send(MessageTypes.Status, Messages.StatusData(queue.Remaining), MessageTarget.All, null);
                        break;
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or FormatException)
            {
                logger.LogWarning(e, "A scale-out notification ({Channel}) could not be handled.", channel);
            }
        }
    }

    private void Relay(string payload)
    {
        if (payload.StartsWith('@'))
        {
            Preview(_previews.AcceptPart(payload));
            return;
        }
        if (payload.StartsWith('#'))
        {
            using NpgsqlCommand command = store.DataSource.CreateCommand("SELECT payload FROM events WHERE id = $1;");
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = long.Parse(payload.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) });
            if (command.ExecuteScalar() is not string stored)
            {
                return;
            }
            payload = stored;
        }
        if (EventEnvelope.Parse(payload) is not { } envelope)
        {
            return;
        }
        if (envelope.Type == PreviewRelay.Type)
        {
            Preview(_previews.Accept(envelope));
            return;
        }
        if (envelope.Type == EventEnvelope.TextType)
        {
            string node = (string?)envelope.Data["node"] ?? "", text = (string?)envelope.Data["text"] ?? "";
            // With --auth a text goes to its prompt's client only (see ServiceSink).
            if (services.GetRequiredService<ComfyServerOptions>().RequireAuth)
            {
                hub.SendTextTo(envelope.ClientId, node, text);
            }
            else
            {
                hub.SendText(node, text);
            }
            return;
        }
        hub.Send(envelope.Type, envelope.Data, envelope.Target, envelope.ClientId);
    }

    private void Preview(RelayedPreview? preview)
    {
        if (preview is not null)
        {
            hub.SendPreview(preview.Image, preview.Origin, preview.ClientId);
        }
    }

    private void CatchUpHistory()
    {
        foreach (var (sequence, promptId, entry) in store.HistorySince(_lastHistory))
        {
            _history!.Import(promptId, entry);
            _lastHistory = Math.Max(_lastHistory, sequence);
        }
    }

    private async Task ReapAsync(LeaseReaper reaper, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.Lease, stopping).ConfigureAwait(false);
                await reaper.ReapAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning(e, "Taking back lost prompts failed; trying again later.");
            }
        }
    }
}
