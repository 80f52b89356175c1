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

    /// <summary>
    /// StubImage (NOISE, 64×64) → TestPreviewProgress (<paramref name="steps"/> previews, the k-th 32+k × 32 pixels, grey
    /// level 255·k/steps, one every 0.5 s; node 2, sized to show its image) → SaveImage(<paramref name="prefix"/>).
    /// </summary>
    public static JsonObject StubPreviewSave(int steps, string prefix)
    {
        JsonObject workflow = StubSleepSave(1, prefix);
        JsonNode node = workflow["nodes"]![1]!;
        node["type"] = "TestPreviewProgress";
        node["size"] = new JsonArray(300, 300);
        node["widgets_values"] = new JsonArray(steps, 32, 0.5);
        return workflow;
    }

    /// <summary>
    /// StubImage (NOISE, 64×64) → instance 5 of the subgraph "Sleep block" (TestSleep inside; its <c>seconds</c> widget
    /// promoted to the instance with <paramref name="seconds"/>, the inner node's own value 30) → SaveImage(<paramref name="prefix"/>).
    /// The instance is saved as the new frontend saves it: without its unlinked widget input.
    /// </summary>
    public static JsonObject StubSubgraphSave(double seconds, string prefix)
    {
        JsonObject workflow = StubSleepSave(30, prefix);
        var nodes = workflow["nodes"]!.AsArray();
        JsonNode sleep = nodes[1]!.DeepClone();
        nodes.RemoveAt(1);
        nodes.Insert(1, new JsonObject
        {
            ["id"] = 5, ["type"] = SubgraphId, ["pos"] = new JsonArray(380, 100), ["size"] = new JsonArray(260, 120), ["flags"] = new JsonObject(),
            ["order"] = 1, ["mode"] = 0,
            ["inputs"] = new JsonArray(new JsonObject { ["name"] = "image", ["type"] = "IMAGE", ["link"] = 1 }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = "IMAGE", ["type"] = "IMAGE", ["links"] = new JsonArray(2) }),
            ["properties"] = new JsonObject(),
            ["widgets_values"] = new JsonArray(seconds),
        });
        workflow["last_node_id"] = 5;
        workflow["links"] = new JsonArray(new JsonArray(1, 1, 0, 5, 0, "IMAGE"), new JsonArray(2, 5, 0, 3, 0, "IMAGE"));
        sleep["id"] = 1;
        sleep["pos"] = new JsonArray(500, 100);
        sleep["inputs"] = new JsonArray(
            new JsonObject { ["name"] = "value", ["type"] = "*", ["link"] = 11 },
            new JsonObject { ["name"] = "seconds", ["type"] = "FLOAT", ["widget"] = new JsonObject { ["name"] = "seconds" }, ["link"] = 12 });
        sleep["outputs"] = new JsonArray(new JsonObject { ["name"] = "*", ["type"] = "*", ["links"] = new JsonArray(13) });
        workflow["definitions"] = new JsonObject
        {
            ["subgraphs"] = new JsonArray(new JsonObject
            {
                ["id"] = SubgraphId, ["version"] = 1, ["revision"] = 0, ["name"] = "Sleep block", ["config"] = new JsonObject(),
                ["state"] = new JsonObject { ["lastGroupId"] = 0, ["lastNodeId"] = 1, ["lastLinkId"] = 13, ["lastRerouteId"] = 0 },
                ["inputNode"] = new JsonObject { ["id"] = -10, ["bounding"] = new JsonArray(200, 100, 120, 80) },
                ["outputNode"] = new JsonObject { ["id"] = -20, ["bounding"] = new JsonArray(900, 100, 120, 60) },
                ["inputs"] = new JsonArray(
                    new JsonObject { ["id"] = "0b1c7c1e-0000-4000-8000-000000000001", ["name"] = "image", ["type"] = "IMAGE", ["linkIds"] = new JsonArray(11) },
                    new JsonObject { ["id"] = "0b1c7c1e-0000-4000-8000-000000000002", ["name"] = "seconds", ["type"] = "FLOAT", ["linkIds"] = new JsonArray(12) }),
                ["outputs"] = new JsonArray(
                    new JsonObject { ["id"] = "0b1c7c1e-0000-4000-8000-000000000003", ["name"] = "IMAGE", ["type"] = "IMAGE", ["linkIds"] = new JsonArray(13) }),
                ["widgets"] = new JsonArray(),
                ["nodes"] = new JsonArray(sleep),
                ["groups"] = new JsonArray(),
                ["links"] = new JsonArray(
                    new JsonObject { ["id"] = 11, ["origin_id"] = -10, ["origin_slot"] = 0, ["target_id"] = 1, ["target_slot"] = 0, ["type"] = "IMAGE" },
                    new JsonObject { ["id"] = 12, ["origin_id"] = -10, ["origin_slot"] = 1, ["target_id"] = 1, ["target_slot"] = 1, ["type"] = "FLOAT" },
                    new JsonObject { ["id"] = 13, ["origin_id"] = 1, ["origin_slot"] = 0, ["target_id"] = -20, ["target_slot"] = 0, ["type"] = "*" }),
                ["extra"] = new JsonObject(),
            }),
        };
        return workflow;
    }

    /// <summary>The definition id of <see cref="StubSubgraphSave"/>'s subgraph.</summary>
    public const string SubgraphId = "5c0ba9a1-0000-4000-8000-00000000000a";

    /// <summary>Writes the workflow to a temporary .json file (for the Open button's file chooser).</summary>
    public static string WriteTemp(JsonObject workflow, string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"comfysharp-webui-{Guid.NewGuid():N}-{name}.json");
        File.WriteAllText(path, workflow.ToJsonString());
        return path;
    }
}
