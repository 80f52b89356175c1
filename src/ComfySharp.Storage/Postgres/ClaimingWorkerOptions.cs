namespace ComfySharp.Storage.Postgres;

/// <summary>Settings of a scale-out worker (<c>--role worker</c>).</summary>
/// <param name="Lease">How long a claim holds without renewal (<c>--lease-seconds</c>); renewed every third of it.</param>
/// <param name="MaxAttempts">Attempts per prompt (<c>--retry once</c>: 2; <c>--retry never</c>: 1) before a lost prompt is recorded as failed.</param>
/// <param name="DefaultPreviewMethod">The <c>--preview-method</c> value.</param>
/// <param name="LogFailure">Receives every failure the worker handles itself.</param>
public sealed record ClaimingWorkerOptions(TimeSpan Lease, int MaxAttempts, string DefaultPreviewMethod = "none", Action<string, Exception>? LogFailure = null)
{
    /// <summary>How often an idle worker looks at the queue even without a notification (a missed NOTIFY costs at most this).</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Called for every claim (the host logs the queue wait at debug level; bench/scaleout.sh reads it).</summary>
    public Action<ClaimedPrompt>? OnClaimed { get; init; }

    /// <summary>Read before every claim: the worker's tags and the models it has loaded now (null: <see cref="ClaimPreferences.None"/>).</summary>
    public Func<ClaimPreferences>? Preferences { get; init; }
}
