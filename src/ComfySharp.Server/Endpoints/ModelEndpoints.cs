using System.Text.Json.Nodes;
using ComfySharp.Abstractions.Files;
using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/object_info</c>, <c>/models</c>, <c>/embeddings</c>, <c>/experiment/models</c> (API.md §10, §12).</summary>
internal static class ModelEndpoints
{
    public static void MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/object_info", (IObjectInfoSource info) => ComfyResults.Json(info.All()));
        app.GetBoth("/object_info/{node_class}", (string node_class, IObjectInfoSource info) =>
        {
            JsonNode? one = info.One(node_class);
            return ComfyResults.Json(one is null ? new JsonObject() : new JsonObject { [node_class] = one });
        });
        app.GetBoth("/models", (ModelFolders folders) => ComfyResults.Json(Strings(folders.Names)));
        app.GetBoth("/models/{folder}", (string folder, ModelFolders folders) =>
            folders.Contains(folder) ? ComfyResults.Json(Strings(folders.List(folder))) : ComfyResults.Empty(404));
        app.GetBoth("/embeddings", (ModelFolders folders) =>
            ComfyResults.Json(Strings(folders.List("embeddings").Select(StripExtension))));
        app.GetBoth("/experiment/models", (ModelFolders folders) => ComfyResults.Json(new JsonArray(folders.Names
            .Where(n => n is not ("configs" or "custom_nodes"))
            .Select(n => (JsonNode?)new JsonObject { ["name"] = n, ["folders"] = Strings(folders.PathsOf(n)) }).ToArray())));
        app.GetBoth("/experiment/models/{folder}", (string folder, ModelFolders folders) =>
        {
            if (!folders.Contains(folder))
            {
                return ComfyResults.Empty(404);
            }
            var items = new JsonArray();
            IReadOnlyList<string> paths = folders.PathsOf(folder);
            foreach (string name in folders.List(folder))
            {
                for (int i = 0; i < paths.Count; i++)
                {
                    var file = new FileInfo(Path.Combine(paths[i], name));
                    if (file.Exists)
                    {
                        items.Add(new JsonObject
                        {
                            ["name"] = name,
                            ["pathIndex"] = i,
                            ["modified"] = (file.LastWriteTimeUtc - DateTime.UnixEpoch).TotalSeconds,
                            ["created"] = (file.CreationTimeUtc - DateTime.UnixEpoch).TotalSeconds,
                            ["size"] = file.Length,
                        });
                        break;
                    }
                }
            }
            return ComfyResults.Json(items);
        });
        app.GetBoth("/internal/folder_paths", (ModelFolders folders) =>
        {
            var result = new JsonObject();
            foreach (string name in folders.Names)
            {
                result[name] = Strings(folders.PathsOf(name));
            }
            return ComfyResults.Json(result);
        });
    }

    internal static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static string StripExtension(string name)
    {
        var (stem, _) = FileEndpoints.SplitExtension(name);
        return stem;
    }
}
