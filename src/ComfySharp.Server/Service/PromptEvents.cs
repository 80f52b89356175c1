using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;

namespace ComfySharp.Server.Service;

/// <summary>One message as Server-Sent Events deliver it: the type and the <c>/ws</c> envelope text.</summary>
internal sealed record ServiceEvent(string Type, string Envelope);

/// <summary>
/// Follows prompts through the execution messages: feeds <c>GET /api/events</c> subscribers (filtered
/// by prompt id and owner), wakes <c>POST /prompt?wait=</c> callers, and tells <see cref="Finished"/>
/// listeners (webhooks) when a prompt's history entry is stored (the final <c>executing</c> with a
/// null node comes after it).
/// </summary>
internal sealed class PromptEvents(IServiceProvider services) : IExecutionObserver
{
    // Resolved lazily: the queue sends through the sink this observer is part of.
    private readonly Lazy<PromptQueue> _queue = new(() => (PromptQueue)services.GetService(typeof(PromptQueue))!);
    private readonly ConcurrentDictionary<long, Subscriber> _subscribers = new();
    private readonly ConcurrentDictionary<string, List<TaskCompletionSource>> _waiters = new(StringComparer.Ordinal);
    // Owner of each running prompt, kept until its last message (the queue forgets it just before).
    private readonly ConcurrentDictionary<string, string?> _owners = new(StringComparer.Ordinal);
    private long _nextSubscriber;

    /// <summary>Raised (on the worker's thread) when a prompt has finished and its history entry is stored.</summary>
    public event Action<string>? Finished;

    public bool WantsEverything => !_subscribers.IsEmpty;

    public void OnMessage(string type, JsonObject data, MessageTarget target, string? clientId)
    {
        string? promptId = data["prompt_id"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        string? owner = null;
        if (promptId is not null)
        {
            if (!_owners.TryGetValue(promptId, out owner))
            {
                owner = _queue.Value.Find(promptId) is QueuedPrompt p ? PromptOwnership.OwnerOf(p) : null;
                _owners[promptId] = owner;
            }
        }
        if (!_subscribers.IsEmpty)
        {
            var message = new ServiceEvent(type, PythonJson.Serialize(Messages.Envelope(type, data.DeepClone())));
            foreach (Subscriber s in _subscribers.Values)
            {
                if ((s.PromptId is null || s.PromptId == promptId) && (promptId is null || PromptOwnership.CanAccess(s.User, owner)))
                {
                    s.Channel.Writer.TryWrite(message);
                }
            }
        }
        bool done = type == MessageTypes.Executing && promptId is not null && data.ContainsKey("node") && data["node"] is null;
        if (done)
        {
            _owners.TryRemove(promptId!, out _);
            if (_waiters.TryRemove(promptId!, out List<TaskCompletionSource>? waiting))
            {
                lock (waiting)
                {
                    waiting.ForEach(w => w.TrySetResult());
                }
            }
            Finished?.Invoke(promptId!);
        }
    }

    /// <summary>Subscribes to messages; dispose the result to stop. Old messages are dropped when a reader falls 1,000 behind.</summary>
    public Subscription Subscribe(string? promptId, ServiceUser? user)
    {
        long id = Interlocked.Increment(ref _nextSubscriber);
        var channel = Channel.CreateBounded<ServiceEvent>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _subscribers[id] = new Subscriber(promptId, user, channel);
        return new Subscription(channel.Reader, () =>
        {
            _subscribers.TryRemove(id, out _);
            channel.Writer.TryComplete();
        });
    }

    /// <summary>A task that completes when <paramref name="promptId"/> finishes (register before queueing it).</summary>
    public Task WhenFinished(string promptId)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        List<TaskCompletionSource> list = _waiters.GetOrAdd(promptId, _ => []);
        lock (list)
        {
            list.Add(tcs);
        }
        return tcs.Task;
    }

    private sealed record Subscriber(string? PromptId, ServiceUser? User, Channel<ServiceEvent> Channel);

    /// <summary>An open subscription.</summary>
    internal sealed class Subscription(ChannelReader<ServiceEvent> reader, Action stop) : IDisposable
    {
        public ChannelReader<ServiceEvent> Reader { get; } = reader;

        public void Dispose() => stop();
    }
}
