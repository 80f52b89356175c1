using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Engine;

namespace ComfySharp.Server.Service;

/// <summary>
/// Who a prompt belongs to. With authentication on, the server writes the owner's name into
/// <c>extra_data</c> under <see cref="OwnerKey"/> (overwriting anything a client sent), so it is stored
/// with the queue item and the history entry and survives restarts. Without authentication nothing
/// is written and everyone sees everything, as in the reference.
/// </summary>
internal static class PromptOwnership
{
    /// <summary>The <c>extra_data</c> key holding the owner's user name.</summary>
    public const string OwnerKey = "comfysharp_owner";

    /// <summary>
    /// The <c>extra_data</c> key holding the file scope (<c>u_NAME</c>) a non-admin owner's prompt runs in:
    /// its LoadImage reads and previews use that user's <c>input/</c> and <c>temp/</c> folders.
    /// </summary>
    public const string FilesKey = "comfysharp_files";

    /// <summary>The file scope recorded for a prompt, or null (admins, authentication off, anything unusable).</summary>
    public static string? FilesOf(QueuedPrompt prompt) =>
        prompt?.ExtraData[FilesKey] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is var folder
            && ComfySharp.Abstractions.Files.UserFileScope.IsFolderName(folder) ? folder : null;

    /// <summary>The owner recorded in an <c>extra_data</c> object, or null.</summary>
    public static string? OwnerOf(JsonObject? extraData) =>
        extraData?[OwnerKey] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The owner of a queued prompt, or null.</summary>
    public static string? OwnerOf(QueuedPrompt prompt) => OwnerOf(prompt.ExtraData);

    /// <summary>The owner of a queue tuple or history entry (<c>entry.prompt[3]</c>), or null.</summary>
    public static string? OwnerOfEntry(JsonObject? historyEntry) =>
        historyEntry?["prompt"] is JsonArray tuple && tuple.Count > 3 ? OwnerOf(tuple[3] as JsonObject) : null;

    /// <summary>True when <paramref name="user"/> may see or act on something owned by <paramref name="owner"/>.</summary>
    public static bool CanAccess(ServiceUser? user, string? owner) => user is null || user.IsAdmin || owner == user.Name;
}
