namespace ComfySharp.Abstractions.Files;

/// <summary>
/// The per-user file scope of the current async flow. With authentication on, the server handles each
/// non-admin user's requests, and runs their prompts, inside the user's scope (<c>u_NAME</c>);
/// <see cref="ComfyDirectories.Input"/> and <see cref="ComfyDirectories.Temp"/> then name that user's own
/// folders (<c>input/u_NAME</c>, <c>temp/u_NAME</c>), so uploads, <c>/view</c>, LoadImage and previews see
/// only that user's files without any node knowing about users. Outside a scope (authentication off,
/// admins, start-up and shutdown) every folder is the whole folder, as in the reference.
/// </summary>
public static class UserFileScope
{
    private static readonly AsyncLocal<string?> Folder = new();

    /// <summary>The scope folder name (<c>u_NAME</c>) of this async flow, or null.</summary>
    public static string? Current => Folder.Value;

    /// <summary>
    /// Enters <paramref name="folder"/> (or leaves any scope with null) for the rest of the calling async
    /// flow: an async method that calls this changes only its own flow and what it awaits.
    /// </summary>
    public static void Enter(string? folder)
    {
        if (folder is not null && !IsFolderName(folder))
        {
            throw new ArgumentException($"'{folder}' is not a user folder name (u_NAME).", nameof(folder));
        }
        Folder.Value = folder;
    }

    /// <summary>True for a usable scope folder name: <c>u_</c> and a user name, one path segment.</summary>
    public static bool IsFolderName(string? folder) =>
        folder is { Length: > 2 } && folder.StartsWith("u_", StringComparison.Ordinal) && folder.IndexOfAny(['/', '\\', '\0']) < 0
        && folder is not ("." or "..") && SafePath.IsUsableName(folder);

    /// <summary>True when the first segment of a relative path is some user's folder (<c>u_…</c>), which is never shared.</summary>
    public static bool IsInUserFolder(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        string first = relative.Replace('\\', '/').TrimStart('/').Split('/', 2)[0];
        return first.StartsWith("u_", StringComparison.Ordinal);
    }
}
