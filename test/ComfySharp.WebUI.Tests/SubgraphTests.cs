using System.Text.Json.Nodes;
using ComfySharp.Client;
using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>Workflows with subgraphs (<c>definitions.subgraphs</c>): shown as subgraph nodes whose contents can be opened, exported and run flattened.</summary>
public sealed class SubgraphTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_subgraph_workflow_opens_its_subgraph_exports_the_CLI_converters_prompt_and_runs()
    {
        await using UiPage ui = await fixture.OpenAsync("subgraph");
        JsonObject workflow = Workflows.StubSubgraphSave(0.05, "webui_subgraph");
        string file = Workflows.WriteTemp(workflow, "subgraph");
        IFileChooser chooser = await ui.Page.RunAndWaitForFileChooserAsync(() => ui.Page.ClickAsync("#open-button"));
        await chooser.SetFilesAsync(file);
        await ComfyTestServer.WaitUntilAsync(async () => (await ui.GraphAsync())["nodes"]!.AsArray().Count == 3);
        // The instance is a subgraph node with the definition's slots and its promoted widget.
        JsonNode instance = (await ui.EvalAsync("""
            const n = window.comfysharp.graph.getNodeById(5);
            return { subgraph: n.isSubgraphNode(), title: n.title, inputs: n.inputs.map(i => i.name), widgets: n.widgets.map(w => [w.name, w.value]) };
            """))!;
        Assert.True(instance["subgraph"]!.GetValue<bool>());
        Assert.Equal("Sleep block", instance["title"]!.GetValue<string>());
        Assert.Equal("""["image","seconds"]""", instance["inputs"]!.ToJsonString());
        Assert.Equal("""[["seconds",0.05]]""", instance["widgets"]!.ToJsonString());
        await ui.ScreenshotAsync("root-graph");

        // Double-click the instance (below its widget) to see its nodes; the bar leads back to the root graph.
        JsonNode point = (await ui.EvalAsync("""
            const app = window.comfysharp;
            const n = app.graph.getNodeById(5);
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0] / 2, n.pos[1] + n.size[1] - 8]);
            const r = app.canvas.canvas.getBoundingClientRect();
            return [r.left + x, r.top + y];
            """))!;
        await ui.Page.Mouse.DblClickAsync(point[0]!.GetValue<float>(), point[1]!.GetValue<float>());
        await ui.Page.Locator("#subgraph-bar:has-text('Sleep block')").WaitForAsync();
        JsonNode inside = (await ui.EvalAsync("const c = window.comfysharp.canvas; return c.graph.nodes.map(n => [n.type, n.widgets?.[0]?.value ?? null]);"))!;
        Assert.Equal("""[["TestSleep",30]]""", inside.ToJsonString());
        await ui.ScreenshotAsync("inside-subgraph");
        await ui.Page.ClickAsync("#subgraph-back");
        await ui.Page.Locator("#subgraph-bar").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Hidden });
        Assert.True((await ui.EvalAsync("const app = window.comfysharp; return app.canvas.graph === app.graph;"))!.GetValue<bool>());

        // Export (API): the CLI converter's prompt for the file, the inner node as "5:1" with the promoted value.
        IDownload download = await ui.Page.RunAndWaitForDownloadAsync(() => ui.Page.ClickAsync("#export-api-button"));
        string saved = Path.Combine(BrowserFixture.ArtifactsDirectory, "subgraph-workflow_api.json");
        await download.SaveAsAsync(saved);
        JsonObject exported = JsonNode.Parse(await File.ReadAllTextAsync(saved))!.AsObject();
        var objectInfo = (JsonObject)(await ui.Server.GetJsonAsync("object_info"))!;
        JsonObject expected = UiWorkflowConverter.Convert(workflow, objectInfo);
        Assert.True(JsonNode.DeepEquals(expected, exported), $"expected {expected.ToJsonString()}\nactual {exported.ToJsonString()}");
        Assert.Equal(["1", "3", "5:1"], exported.Select(p => p.Key));
        Assert.Equal(0.05, exported["5:1"]!["inputs"]!["seconds"]!.GetValue<double>());
        Assert.Equal("""["5:1",0]""", exported["3"]!["inputs"]!["images"]!.ToJsonString());

        // The saved workflow keeps the subgraph, and the converter reads it back to the same prompt.
        JsonObject graph = await ui.GraphAsync();
        Assert.Equal(Workflows.SubgraphId, graph["definitions"]!["subgraphs"]![0]!["id"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(expected, UiWorkflowConverter.Convert(graph, objectInfo)));

        // Queue runs the flattened prompt; the image arrives on the SaveImage node.
        await ui.Page.ClickAsync("#queue-button");
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(3).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 64);
        await ui.ScreenshotAsync("ran");
        ui.AssertClean();
    }
}
