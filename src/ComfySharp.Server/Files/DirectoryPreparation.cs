using ComfySharp.Abstractions.Files;

namespace ComfySharp.Server.Files;

/// <summary>Start-up and shutdown chores on the directories (FILES.md §1).</summary>
public static class DirectoryPreparation
{
    /// <summary>Creates input/output/user directories and empties temp.</summary>
    public static void Prepare(ComfyDirectories directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        Directory.CreateDirectory(directories.RootInput);
        Directory.CreateDirectory(directories.Output);
        Directory.CreateDirectory(directories.User);
        // The reference creates the default user's workflow folder at start; the frontends list it with /userdata?dir=workflows.
        Directory.CreateDirectory(Path.Combine(directories.User, "default", "workflows"));
        EmptyTemp(directories);
    }

    /// <summary>Deletes the temp directory's contents (previews are never kept across runs).</summary>
    public static void EmptyTemp(ComfyDirectories directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        try
        {
            if (Directory.Exists(directories.RootTemp))
            {
                Directory.Delete(directories.RootTemp, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        Directory.CreateDirectory(directories.RootTemp);
    }
}
