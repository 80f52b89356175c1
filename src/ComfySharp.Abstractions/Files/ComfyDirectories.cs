namespace ComfySharp.Abstractions.Files;

/// <summary>The directory kinds reachable over HTTP (<c>type=</c> on the wire).</summary>
public enum DirectoryKind
{
    /// <summary><c>input</c>: uploads, LoadImage.</summary>
    Input,
    /// <summary><c>output</c>: SaveImage.</summary>
    Output,
    /// <summary><c>temp</c>: PreviewImage.</summary>
    Temp,
}

/// <summary>The server's directories (FILES.md §1). Model folders are in <see cref="ModelFolders"/>.</summary>
public sealed class ComfyDirectories
{
    /// <summary>Creates the layout under <paramref name="baseDirectory"/> with optional overrides.</summary>
    public ComfyDirectories(string baseDirectory, string? input = null, string? output = null, string? temp = null, string? user = null)
    {
        Base = Path.GetFullPath(baseDirectory);
        RootInput = Path.GetFullPath(input ?? Path.Combine(Base, "input"));
        Output = Path.GetFullPath(output ?? Path.Combine(Base, "output"));
        RootTemp = Path.GetFullPath(temp ?? Path.Combine(Base, "temp"));
        User = Path.GetFullPath(user ?? Path.Combine(Base, "user"));
        Models = Path.Combine(Base, "models");
    }

    /// <summary>The base directory.</summary>
    public string Base { get; }
    /// <summary>
    /// Uploads and LoadImage sources: the whole input folder, or inside a <see cref="UserFileScope"/> the
    /// user's own <c>input/u_NAME</c>.
    /// </summary>
    public string Input => UserFileScope.Current is { } folder ? Path.Combine(RootInput, folder) : RootInput;
    /// <summary>The whole input folder, every user's folder included (admins, start-up).</summary>
    public string RootInput { get; }
    /// <summary>Saved outputs (per-user outputs are the <c>u_NAME</c> subfolders, named by the prompt's <c>filename_prefix</c>).</summary>
    public string Output { get; }
    /// <summary>
    /// Previews; emptied at start-up and shutdown. Inside a <see cref="UserFileScope"/> the user's own
    /// <c>temp/u_NAME</c>.
    /// </summary>
    public string Temp => UserFileScope.Current is { } folder ? Path.Combine(RootTemp, folder) : RootTemp;
    /// <summary>The whole temp folder, every user's folder included.</summary>
    public string RootTemp { get; }
    /// <summary>The <see cref="UserFileScope"/> folder of this async flow (<c>u_NAME</c>), or null when every folder is whole.</summary>
    public static string? Scope => UserFileScope.Current;
    /// <summary>Per-user data, the queue/history database.</summary>
    public string User { get; }
    /// <summary><c>&lt;base&gt;/models</c>.</summary>
    public string Models { get; }

    /// <summary>The directory for a wire <c>type</c> name, or null for an unknown name.</summary>
    public string? ForType(string? type) => type switch
    {
        "input" => Input,
        "output" => Output,
        "temp" => Temp,
        _ => null,
    };

    /// <summary>The directory of a kind.</summary>
    public string For(DirectoryKind kind) => kind switch
    {
        DirectoryKind.Input => Input,
        DirectoryKind.Output => Output,
        DirectoryKind.Temp => Temp,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Inside a user scope, a file of the shared input folder that the user may read as well as their own:
    /// one directly or below the root that is not in any user's <c>u_*</c> folder (an admin's uploads). Null
    /// outside a scope, for names in users' folders, escaping names and missing files.
    /// </summary>
    public string? SharedInputFile(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        if (Scope is null || UserFileScope.IsInUserFolder(relative))
        {
            return null;
        }
        string? full = SafePath.Contain(RootInput, relative);
        // Checked on the normalised path too: "x/../u_bob/a.png" names bob's folder.
        return full is not null && !UserFileScope.IsInUserFolder(Path.GetRelativePath(RootInput, full)) && File.Exists(full) ? full : null;
    }

    /// <summary>
    /// Whether this flow may read <paramref name="fullPath"/> of the output folder: always outside a scope,
    /// else only files under the user's <c>output/u_NAME</c>.
    /// </summary>
    public bool MayReadOutput(string fullPath)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        return Scope is not { } folder || SafePath.IsUnder(Path.Combine(Output, folder), Path.GetFullPath(fullPath));
    }

    /// <summary>
    /// Splits an annotated name (<c>"a.png [output]"</c>) into the file name and its directory; names
    /// without an annotation use <paramref name="defaultKind"/>.
    /// </summary>
    public (string Name, string Directory) ResolveAnnotated(string name, DirectoryKind defaultKind)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (suffix, kind) in new[] { (" [output]", DirectoryKind.Output), (" [input]", DirectoryKind.Input), (" [temp]", DirectoryKind.Temp) })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return (name[..^suffix.Length], For(kind));
            }
        }
        return (name, For(defaultKind));
    }
}

/// <summary>Containment of user-supplied paths under a root (no <c>..</c>, no symlink escapes).</summary>
public static class SafePath
{
    /// <summary>
    /// Joins <paramref name="relative"/> to <paramref name="root"/> and returns the full path only when
    /// the result, with symbolic links resolved, stays inside the (resolved) root; otherwise null.
    /// </summary>
    public static string? Contain(string root, string relative)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(relative);
        if (!IsUsableName(relative) || Path.IsPathRooted(relative))
        {
            return null;
        }
        string fullRoot = Path.GetFullPath(root);
        string candidate = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!IsUnder(fullRoot, candidate) || !IsUsableName(candidate))
        {
            return null;
        }
        try
        {
            string resolvedRoot = ResolveLinks(fullRoot);
            // The root itself (an empty subfolder, as for every preview) is inside by definition.
            string resolved = candidate == fullRoot.TrimEnd(Path.DirectorySeparatorChar) ? resolvedRoot : ResolveLinks(candidate);
            return IsUnder(resolvedRoot, resolved) ? candidate : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A path the file system refuses to look at (a link loop, no permission) is not a contained path.
            return null;
        }
    }

    /// <summary>Longest path, in UTF-8 bytes, the file system takes (Linux's PATH_MAX less the terminator).</summary>
    public const int MaxPathBytes = 4095;

    /// <summary>Longest single file or folder name, in UTF-8 bytes (NAME_MAX).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>
    /// True when the file system can take <paramref name="path"/> as a name at all: no NUL, no lone UTF-16
    /// surrogate (no file name encodes it), each component at most <see cref="MaxNameBytes"/> and the whole
    /// at most <see cref="MaxPathBytes"/> UTF-8 bytes. Checked before any file call, so such names are
    /// refused as a client error instead of failing inside the call.
    /// </summary>
    public static bool IsUsableName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        int total = 0;
        int component = 0;
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            int bytes;
            if (c == '\0')
            {
                return false;
            }
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= path.Length || !char.IsLowSurrogate(path[i + 1]))
                {
                    return false;
                }
                i++;
                bytes = 4;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
            else
            {
                bytes = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
            component = c == '/' || c == Path.DirectorySeparatorChar ? 0 : component + bytes;
            total += bytes;
            if (component > MaxNameBytes || total > MaxPathBytes)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="root"/> or lies below it.</summary>
    public static bool IsUnder(string root, string path)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(path);
        string r = root.TrimEnd(Path.DirectorySeparatorChar);
        return path == r || path.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>Resolves every symbolic link along an absolute path (components that do not exist yet are kept).</summary>
    public static string ResolveLinks(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            for (int hops = 0; hops < 40; hops++)
            {
                // One lstat per component: only a symbolic link (ReparsePoint) costs a readlink as well.
                // A missing component reads as -1 and is kept as it is; a dangling link is followed, so
                // its target is what gets checked.
                var info = new FileInfo(next);
                FileAttributes attributes = info.Attributes;
                if ((int)attributes == -1 || (attributes & FileAttributes.ReparsePoint) == 0 || info.LinkTarget is not { } target)
                {
                    break;
                }
                next = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, target));
            }
            current = next;
        }
        return current;
    }
}
