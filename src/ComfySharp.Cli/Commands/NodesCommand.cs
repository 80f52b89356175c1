using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp nodes</c>: Search the server's node types (/object_info).</summary>
internal static class NodesCommand
{
    public static Command Create(CliOutput output)
    {
        var search = new Argument<string?>("search") { Description = "Text to look for in class, display name or category", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the matching /object_info entries" };
        var command = new Command("nodes", "Search the server's node types (/object_info)") { search, json };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            string text = parse.GetValue(search) ?? "";
            JsonObject info = await client.GetObjectInfoAsync(ct).ConfigureAwait(false);
            var matches = new JsonObject();
            foreach ((string name, JsonNode? node) in info)
            {
                string display = node?["display_name"] is JsonValue d && d.TryGetValue(out string? s) ? s : name;
                string category = node?["category"] is JsonValue c && c.TryGetValue(out string? cs) ? cs : "";
                if (text.Length == 0 || name.Contains(text, StringComparison.OrdinalIgnoreCase) || display.Contains(text, StringComparison.OrdinalIgnoreCase) || category.Contains(text, StringComparison.OrdinalIgnoreCase))
                {
                    matches[name] = node?.DeepClone();
                    if (!parse.GetValue(json))
                    {
                        output.Line($"{name,-32} {category,-28} {display}");
                    }
                }
            }
            if (parse.GetValue(json))
            {
                output.Line(matches.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            return matches.Count > 0 || text.Length == 0 ? 0 : 1;
        }));
        return command;
    }
}
