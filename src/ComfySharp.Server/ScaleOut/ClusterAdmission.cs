using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Storage.Postgres;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.ScaleOut;

/// <summary>
/// <c>POST /prompt</c> on an API node, after its own validation: the prompt must be runnable by one live
/// worker, one that has every tag of <c>extra_data.worker_tags</c> and offers every node class the prompt
/// uses (the workers publish their catalogues in the <see cref="WorkerRegistry"/>). With no live worker at
/// all the prompt is accepted and waits in the queue (workers restarting must not refuse every prompt).
/// </summary>
/// <param name="registry">The workers' registry.</param>
/// <param name="settings">This node's scale-out settings (what counts as live).</param>
internal sealed class ClusterAdmission(WorkerRegistry registry, ScaleOutSettings settings)
{
    /// <summary>The error <c>type</c> of a prompt no live worker can run.</summary>
    public const string NoWorkerType = "no_worker";

    /// <summary>The admission check of this process; null unless it is an API node.</summary>
    public static ClusterAdmission? Of(HttpContext context) => context.RequestServices.GetService<ClusterAdmission>();

    /// <summary>Null when some live worker can run the prompt; otherwise the <c>error</c> object of the 400 answer.</summary>
    public async Task<JsonObject?> CheckAsync(JsonObject prompt, JsonObject? extraData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        IReadOnlyList<string> tags;
        try
        {
            tags = extraData is null ? [] : PromptRouting.WorkerTags(extraData);
        }
        catch (FormatException e)
        {
            return Error("invalid_worker_tags", e.Message, "");
        }
        IReadOnlyList<WorkerStatus> live = await registry.LiveAsync(settings.LiveWithin, cancellationToken).ConfigureAwait(false);
        if (live.Count == 0)
        {
            return null;
        }
        List<WorkerStatus> tagged = live.Where(w => tags.All(t => w.Beat.Tags.Contains(t, StringComparer.Ordinal))).ToList();
        if (tagged.Count == 0)
        {
            return Error(NoWorkerType, $"No live worker has the tags [{string.Join(", ", tags)}] (extra_data.worker_tags).",
                $"Live workers: {string.Join("; ", live.Select(w => $"{w.Beat.Id} [{string.Join(", ", w.Beat.Tags)}]"))}");
        }
        var classes = prompt.Select(kv => kv.Value is JsonObject node && node["class_type"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>() : null)
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (tagged.Any(w => classes.All(c => w.Beat.NodeClasses.Contains(c, StringComparer.Ordinal))))
        {
            return null;
        }
        var union = tagged.SelectMany(w => w.Beat.NodeClasses).ToHashSet(StringComparer.Ordinal);
        List<string> missing = classes.Where(c => !union.Contains(c)).ToList();
        return missing.Count > 0
            ? Error(NoWorkerType, $"No live worker{(tags.Count > 0 ? " with the prompt's tags" : "")} offers the node class(es) {string.Join(", ", missing)}.", "")
            : Error(NoWorkerType, "No single live worker offers every node class of this prompt.", string.Join(", ", classes));
    }

    private static JsonObject Error(string type, string message, string details) => new()
    {
        ["type"] = type,
        ["message"] = message,
        ["details"] = details,
        ["extra_info"] = new JsonObject(),
    };
}
