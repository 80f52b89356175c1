using System.Text.Json.Nodes;

namespace ComfySharp.WebUI.Tests;

/// <summary>Small UI-format workflows on the test nodes (no model files): noise image → sleep → save.</summary>
internal static class Workflows
{
    /// <summary>StubImage (NOISE, 64×64) → TestSleep(<paramref name="seconds"/>) → SaveImage(<paramref name="prefix"/>).</summary>
    public static JsonObject StubSleepSave(double seconds, string prefix) => new()
    {
        ["last_node_id"] = 3,
        ["last_link_id"] = 2,
        ["nodes"] = new JsonArray
        {
            new JsonObject
            {
                ["id"] = 1, ["type"] = "StubImage", ["pos"] = new JsonArray(50, 100), ["size"] = new JsonArray(260, 130), ["flags"] = new JsonObject(),
                ["order"] = 0, ["mode"] = 0,
                ["outputs"] = new JsonArray(new JsonObject { ["name"] = "IMAGE", ["type"] = "IMAGE", ["links"] = new JsonArray(1) }),
                ["properties"] = new JsonObject(),
                ["widgets_values"] = new JsonArray("NOISE", 64, 64, 1),
            },
            new JsonObject
            {
                ["id"] = 2, ["type"] = "TestSleep", ["pos"] = new JsonArray(380, 100), ["size"] = new JsonArray(260, 80), ["flags"] = new JsonObject(),
                ["order"] = 1, ["mode"] = 0,
                ["inputs"] = new JsonArray(new JsonObject { ["name"] = "value", ["type"] = "*", ["link"] = 1 }),
                ["outputs"] = new JsonArray(new JsonObject { ["name"] = "*", ["type"] = "*", ["links"] = new JsonArray(2) }),
                ["properties"] = new JsonObject(),
                ["widgets_values"] = new JsonArray(seconds),
            },
            new JsonObject
            {
                ["id"] = 3, ["type"] = "SaveImage", ["pos"] = new JsonArray(700, 100), ["size"] = new JsonArray(300, 320), ["flags"] = new JsonObject(),
                ["order"] = 2, ["mode"] = 0,
                ["inputs"] = new JsonArray(new JsonObject { ["name"] = "images", ["type"] = "IMAGE", ["link"] = 2 }),
                ["properties"] = new JsonObject(),
                ["widgets_values"] = new JsonArray(prefix),
            },
        },
        ["links"] = new JsonArray(new JsonArray(1, 1, 0, 2, 0, "*"), new JsonArray(2, 2, 0, 3, 0, "IMAGE")),
        ["groups"] = new JsonArray(),
        ["config"] = new JsonObject(),
        ["extra"] = new JsonObject(),
        ["version"] = 0.4,
    };

    /// <summary>Writes the workflow to a temporary .json file (for the Open button's file chooser).</summary>
    public static string WriteTemp(JsonObject workflow, string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"comfysharp-webui-{Guid.NewGuid():N}-{name}.json");
        File.WriteAllText(path, workflow.ToJsonString());
        return path;
    }
}
