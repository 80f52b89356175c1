namespace ComfySharp.Storage.Postgres;

/// <summary>What a worker tells <see cref="PostgresWorkQueue.ClaimAsync(TimeSpan, ClaimPreferences, CancellationToken)"/> about itself.</summary>
/// <param name="Tags">Its capability tags (<c>--worker-tags</c>): it takes only prompts whose <c>extra_data.worker_tags</c> it all has.</param>
/// <param name="LoadedModels">The model files it has loaded (<see cref="PromptRouting.ModelName"/>): prompts loading only those come first.</param>
public sealed record ClaimPreferences(IReadOnlyList<string> Tags, IReadOnlyList<string> LoadedModels)
{
    /// <summary>No tags, nothing loaded: plain priority and arrival order over the untagged prompts.</summary>
    public static ClaimPreferences None { get; } = new([], []);

    /// <summary>
    /// How long affinity may hold a prompt back: a prompt older than this is taken in plain order by any
    /// worker, so a stream of prompts for one model cannot starve another model's prompts.
    /// </summary>
    public TimeSpan AffinityWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How recently another worker must have beaten to count as live (and idle) for affinity.</summary>
    public TimeSpan LiveWithin { get; init; } = TimeSpan.FromSeconds(15);
}
