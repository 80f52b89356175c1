using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions.Files;
using ComfySharp.Protocol;
using ComfySharp.Server.Http;
using ComfySharp.Server.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/settings</c>, <c>/users</c>, <c>/userdata</c>, <c>/v2/userdata</c> for the single user <c>default</c> (API.md §11).</summary>
internal static class UserDataEndpoints
{
    private const string SettingsFile = "comfy.settings.json";
    private static readonly JsonSerializerOptions SettingsWriter = new() { WriteIndented = true, IndentSize = 4, Encoder = JavaScriptEncoder.Default };

    public static void MapUserDataEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/settings", (ComfyDirectories dirs) => ComfyResults.Json(ReadSettings(dirs)));
        app.GetBoth("/settings/{id}", (string id, ComfyDirectories dirs) => ComfyResults.Json(ReadSettings(dirs)[id]?.DeepClone()));
        app.PostBoth("/settings", async (HttpRequest request, ComfyDirectories dirs) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            JsonObject settings = ReadSettings(dirs);
            foreach (var (key, value) in body)
            {
                settings[key] = value?.DeepClone();
            }
            WriteSettings(dirs, settings);
            return ComfyResults.Empty();
        });
        app.PostBoth("/settings/{id}", async (string id, HttpRequest request, ComfyDirectories dirs) =>
        {
            JsonNode? value = await ComfyRequest.ReadJsonAsync(request).ConfigureAwait(false);
            JsonObject settings = ReadSettings(dirs);
            settings[id] = value;
            WriteSettings(dirs, settings);
            return ComfyResults.Empty();
        });
        app.GetBoth("/users", (ComfyDirectories dirs) => ComfyResults.Json(new JsonObject
        {
            ["storage"] = "server",
            ["migrated"] = Directory.Exists(UserRoot(dirs)),
        }));
        app.PostBoth("/users", async (HttpRequest request) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            string? name = (string?)(body["username"] as JsonValue);
            if (string.IsNullOrWhiteSpace(name))
            {
                return ComfyResults.Json(Messages.Error("Username is required."), 400);
            }
            // Single-user mode: the server keeps serving "default"; the id is still minted like the reference's.
            string clean = new(name.Trim().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
            return ComfyResults.Json(JsonValue.Create($"{clean}_{Guid.NewGuid()}"));
        });
        app.GetBoth("/userdata", ListUserData);
        app.GetBoth("/v2/userdata", ListUserDataV2);
        app.GetBoth("/userdata/{file}", (string file, ComfyDirectories dirs) =>
        {
            string? path = UserPath(dirs, file);
            if (path is null)
            {
                return ComfyResults.Text("Invalid path", 403);
            }
            return File.Exists(path) ? Results.File(path, FileEndpoints.ContentTypeFor(path)) : ComfyResults.Empty(404);
        });
        app.PostBoth("/userdata/{file}", async (string file, HttpRequest request, ComfyDirectories dirs) =>
        {
            string? path = UserPath(dirs, file);
            if (path is null)
            {
                return ComfyResults.Text("Invalid path", 403);
            }
            bool overwrite = request.Query["overwrite"].ToString() != "false";
            if (!overwrite && File.Exists(path))
            {
                return ComfyResults.Text("File already exists", 409);
            }
            if (Directory.Exists(path))
            {
                return ComfyResults.Text("Path is a directory", 400);
            }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await using FileStream stream = File.Create(path);
                await request.Body.CopyToAsync(stream, request.HttpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A parent that is a file, a name the file system refuses: the client's path cannot be written.
                return ComfyResults.Text("Cannot write this path", 400);
            }
            return FileReply(dirs, path, request.Query["full_info"] == "true");
        });
        app.DeleteBoth("/userdata/{file}", (string file, ComfyDirectories dirs) =>
        {
            string? path = UserPath(dirs, file);
            if (path is null || !File.Exists(path))
            {
                return ComfyResults.Empty(404);
            }
            File.Delete(path);
            return ComfyResults.Empty(204);
        });
        app.PostBoth("/userdata/{file}/move/{dest}", (string file, string dest, HttpRequest request, ComfyDirectories dirs) =>
        {
            string? source = UserPath(dirs, file);
            string? target = UserPath(dirs, dest);
            if (source is null || target is null)
            {
                return ComfyResults.Text("Invalid path", 403);
            }
            if (!File.Exists(source))
            {
                return ComfyResults.Empty(404);
            }
            bool overwrite = request.Query["overwrite"].ToString() != "false";
            if (!overwrite && File.Exists(target))
            {
                return ComfyResults.Text("File already exists", 409);
            }
            if (Directory.Exists(target))
            {
                return ComfyResults.Text("Path is a directory", 400);
            }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(source, target, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // As for writes: a destination the file system refuses is the client's error.
                return ComfyResults.Text("Cannot move to this path", 400);
            }
            return FileReply(dirs, target, request.Query["full_info"] == "true");
        });
    }

    // With authentication on, each user has their own folder (ServiceUser.Folder); otherwise the reference's "default".
    private static string UserRoot(ComfyDirectories dirs) => Path.Combine(dirs.User, ServiceUser.Current?.Folder ?? "default");

    // Route values keep %2F encoded; the reference's clients encode "/" that way.
    private static string? UserPath(ComfyDirectories dirs, string file)
    {
        string relative = Uri.UnescapeDataString(file);
        return relative.Length == 0 ? null : SafePath.Contain(UserRoot(dirs), relative);
    }

    private static IResult FileReply(ComfyDirectories dirs, string path, bool fullInfo)
    {
        string relative = Path.GetRelativePath(UserRoot(dirs), path).Replace(Path.DirectorySeparatorChar, '/');
        return fullInfo ? ComfyResults.Json(FullInfo(relative, new FileInfo(path))) : ComfyResults.Json(JsonValue.Create(relative));
    }

    private static JsonObject FullInfo(string relative, FileInfo info) => new()
    {
        ["path"] = relative,
        ["size"] = info.Length,
        ["modified"] = (info.LastWriteTimeUtc - DateTime.UnixEpoch).TotalSeconds,
        ["created"] = (info.CreationTimeUtc - DateTime.UnixEpoch).TotalSeconds,
    };

    private static IResult ListUserData(HttpRequest request, ComfyDirectories dirs)
    {
        string? dir = request.Query["dir"];
        if (string.IsNullOrEmpty(dir))
        {
            return ComfyResults.Text("Directory not provided", 400);
        }
        string? path = SafePath.Contain(UserRoot(dirs), dir);
        if (path is null)
        {
            return ComfyResults.Text("Invalid directory", 403);
        }
        if (!Directory.Exists(path))
        {
            return ComfyResults.Text("Directory not found", 404);
        }
        bool recurse = request.Query["recurse"] == "true";
        bool fullInfo = request.Query["full_info"] == "true";
        bool split = request.Query["split"] == "true";
        var items = new JsonArray();
        foreach (string file in ContainedEntries(UserRoot(dirs), path, recurse).OfType<FileInfo>().Select(f => f.FullName).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(path, file).Replace(Path.DirectorySeparatorChar, '/');
            if (fullInfo)
            {
                items.Add(FullInfo(relative, new FileInfo(file)));
            }
            else if (split)
            {
                var parts = new JsonArray(JsonValue.Create(relative));
                foreach (string part in relative.Split('/'))
                {
                    parts.Add(part);
                }
                items.Add(parts);
            }
            else
            {
                items.Add(relative);
            }
        }
        return ComfyResults.Json(items);
    }

    private static IResult ListUserDataV2(HttpRequest request, ComfyDirectories dirs)
    {
        string root = UserRoot(dirs);
        string requested = request.Query["path"].ToString();
        string? path = SafePath.Contain(root, requested);
        if (path is null)
        {
            return ComfyResults.Text("Invalid path", 403);
        }
        if (!Directory.Exists(root))
        {
            return ComfyResults.Json(new JsonArray());
        }
        if (File.Exists(path))
        {
            return ComfyResults.Text("Path is not a directory", 400);
        }
        if (!Directory.Exists(path))
        {
            return ComfyResults.Text("Path not found", 404);
        }
        var entries = ContainedEntries(root, path, recurse: true)
            .OrderBy(e => e is FileInfo)
            .ThenBy(e => e.Name.ToLowerInvariant(), StringComparer.Ordinal);
        var items = new JsonArray();
        foreach (FileSystemInfo entry in entries)
        {
            var item = new JsonObject
            {
                ["name"] = entry.Name,
                ["path"] = Path.GetRelativePath(root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/'),
                ["type"] = entry is FileInfo ? "file" : "directory",
            };
            if (entry is FileInfo f)
            {
                item["size"] = f.Length;
                item["modified"] = (f.LastWriteTimeUtc - DateTime.UnixEpoch).TotalSeconds;
            }
            items.Add(item);
        }
        return ComfyResults.Json(items);
    }

    /// <summary>
    /// The files and folders under <paramref name="path"/> whose real location (symbolic links resolved)
    /// is inside <paramref name="root"/>: a link to a folder outside is neither listed nor entered, so a
    /// listing never shows names from outside the user folder. Iterative; each real folder is entered once.
    /// </summary>
    internal static List<FileSystemInfo> ContainedEntries(string root, string path, bool recurse)
    {
        string realRoot = SafePath.ResolveLinks(root);
        var found = new List<FileSystemInfo>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { SafePath.ResolveLinks(path) };
        var pending = new Stack<string>();
        pending.Push(path);
        while (pending.Count > 0)
        {
            string folder = pending.Pop();
            IEnumerable<FileSystemInfo> children;
            try
            {
                children = new DirectoryInfo(folder).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // unreadable folder: nothing to list there
            }
            foreach (FileSystemInfo child in children)
            {
                string real = child.LinkTarget is null ? child.FullName : SafePath.ResolveLinks(child.FullName);
                if (!SafePath.IsUnder(realRoot, real))
                {
                    continue;
                }
                bool isFolder = Directory.Exists(child.FullName);
                found.Add(isFolder && child is not DirectoryInfo ? new DirectoryInfo(child.FullName) : child);
                if (recurse && isFolder && visited.Add(real))
                {
                    pending.Push(child.FullName);
                }
            }
        }
        return found;
    }

    private static JsonObject ReadSettings(ComfyDirectories dirs)
    {
        string path = Path.Combine(UserRoot(dirs), SettingsFile);
        try
        {
            return File.Exists(path) && PythonJson.Parse(File.ReadAllText(path)) is JsonObject o ? o : [];
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return [];
        }
    }

    private static void WriteSettings(ComfyDirectories dirs, JsonObject settings)
    {
        Directory.CreateDirectory(UserRoot(dirs));
        File.WriteAllText(Path.Combine(UserRoot(dirs), SettingsFile), settings.ToJsonString(SettingsWriter));
    }
}
