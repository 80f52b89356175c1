using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// What a queued prompt tells the scale-out router: the worker tags it is pinned to
/// (<c>extra_data.worker_tags</c>) and the model files it loads (for model affinity).
/// </summary>
public static class PromptRouting
{
    /// <summary>The <c>extra_data</c> key pinning a prompt to workers having all the listed tags.</summary>
    public const string WorkerTagsKey = "worker_tags";

    /// <summary>
    /// The tags of <c>extra_data.worker_tags</c> (a list of strings, or one comma-separated string),
    /// trimmed, lower-cased, distinct, sorted; empty when absent. Throws <see cref="FormatException"/>
    /// for any other shape.
    /// </summary>
    public static IReadOnlyList<string> WorkerTags(JsonObject extraData)
    {
        ArgumentNullException.ThrowIfNull(extraData);
        return extraData[WorkerTagsKey] switch
        {
            null => [],
            JsonValue v when v.GetValueKind() == JsonValueKind.String => Tags(v.GetValue<string>().Split(',')),
            JsonArray a when a.All(t => t?.GetValueKind() == JsonValueKind.String) => Tags(a.Select(t => t!.GetValue<string>())),
            _ => throw new FormatException($"extra_data.{WorkerTagsKey} must be a list of strings or a comma-separated string."),
        };
    }

    /// <summary>The tags of a <c>--worker-tags</c> value (comma-separated), normalised like <see cref="WorkerTags"/>.</summary>
    public static IReadOnlyList<string> ParseTags(string? commaSeparated) => commaSeparated is null ? [] : Tags(commaSeparated.Split(','));

    /// <summary>
    /// The model files a prompt loads: the file name (without folders) of every string input named
    /// <c>ckpt_name</c> or <c>unet_name</c>, distinct, sorted. These are what a worker keeps loaded
    /// between prompts, so they decide affinity.
    /// </summary>
    public static IReadOnlyList<string> Models(JsonObject prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, node) in prompt)
        {
            if (node is JsonObject n && n["inputs"] is JsonObject inputs)
            {
                foreach (string key in (string[])["ckpt_name", "unet_name"])
                {
                    if (inputs[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        names.Add(ModelName(v.GetValue<string>()));
                    }
                }
            }
        }
        return [.. names];
    }

    /// <summary>The name affinity compares: the file name of a model path, without folders.</summary>
    public static string ModelName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetFileName(path.Replace('\\', '/'));
    }

    private static string[] Tags(IEnumerable<string> tags) =>
        [.. tags.Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
}
