using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Client.Tests;

/// <summary>The new frontend's subgraphs (<c>definitions.subgraphs</c>) flattened by the CLI's converter as the frontend queues them.</summary>
public sealed class UiSubgraphTests
{
    private static readonly JsonObject ObjectInfo = JsonNode.Parse("""
    {
      "KSampler": {"input": {"required": {
          "model": ["MODEL"], "seed": ["INT", {"default": 0, "control_after_generate": true}], "steps": ["INT", {"default": 20}],
          "cfg": ["FLOAT", {}], "sampler_name": [["euler", "ddim"]], "scheduler": [["normal"]], "positive": ["CONDITIONING"],
          "negative": ["CONDITIONING"], "latent_image": ["LATENT"], "denoise": ["FLOAT", {}]}},
        "input_order": {"required": ["model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "denoise"]}},
      "CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["a.safetensors"]]}}, "input_order": {"required": ["ckpt_name"]}},
      "EmptyLatentImage": {"input": {"required": {"width": ["INT", {}], "height": ["INT", {}], "batch_size": ["INT", {}]}}, "input_order": {"required": ["width", "height", "batch_size"]}},
      "PrimitiveInt": {"input": {"required": {"value": ["INT", {}]}}, "input_order": {"required": ["value"]}}
    }
    """)!.AsObject();

    // Root: a checkpoint and a PrimitiveInt feed instance 10 of "Block" (S1), whose LATENT feeds sampler 11; instance 12
    // of the same subgraph is muted. S1 holds an EmptyLatentImage and instance 6 of "Sample" (S2, nested), which holds
    // the KSampler. S1's "seed" input is unlinked on instance 10 (so its promoted widget value 42 is used, and the
    // saved instance omits that input); "steps" is linked to the PrimitiveInt. Instance 6's own values (99, 4) lose
    // to S1's links, and the inner KSampler's own seed and steps (1, 3) to both.
    private const string Workflow = """
    {"nodes": [
      {"id": 1, "type": "CheckpointLoaderSimple", "mode": 0, "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}], "widgets_values": ["a.safetensors"]},
      {"id": 2, "type": "PrimitiveInt", "mode": 0, "outputs": [{"name": "INT", "type": "INT", "links": [2]}], "widgets_values": [12, "fixed"]},
      {"id": 10, "type": "s1", "mode": 0, "title": "Block",
       "inputs": [{"name": "model", "type": "MODEL", "link": 1}, {"name": "steps", "type": "INT", "widget": {"name": "steps"}, "link": 2}],
       "outputs": [{"name": "LATENT", "type": "LATENT", "links": [3]}], "widgets_values": [42, 30]},
      {"id": 11, "type": "KSampler", "mode": 0, "inputs": [{"name": "latent_image", "type": "LATENT", "link": 3}], "widgets_values": [5, "fixed", 20, 8, "euler", "normal", 0.5]},
      {"id": 12, "type": "s1", "mode": 2, "inputs": [{"name": "model", "type": "MODEL", "link": null}], "outputs": [{"name": "LATENT", "type": "LATENT", "links": []}], "widgets_values": [1, 2]}],
     "links": [[1, 1, 0, 10, 0, "MODEL"], [2, 2, 0, 10, 1, "INT"], [3, 10, 0, 11, 0, "LATENT"]],
     "definitions": {"subgraphs": [
      {"id": "s1", "name": "Block", "inputNode": {"id": -10}, "outputNode": {"id": -20},
       "inputs": [{"name": "model", "type": "MODEL", "linkIds": [22]}, {"name": "seed", "type": "INT", "linkIds": [23]}, {"name": "steps", "type": "INT", "linkIds": [24]}],
       "outputs": [{"name": "LATENT", "type": "LATENT", "linkIds": [25]}],
       "nodes": [
        {"id": 5, "type": "EmptyLatentImage", "mode": 0, "outputs": [{"name": "LATENT", "type": "LATENT", "links": [21]}], "widgets_values": [64, 48, 1]},
        {"id": 6, "type": "s2", "mode": 0,
         "inputs": [{"name": "model", "type": "MODEL", "link": 22}, {"name": "latent", "type": "LATENT", "link": 21},
                    {"name": "seed", "type": "INT", "widget": {"name": "seed"}, "link": 23}, {"name": "steps", "type": "INT", "widget": {"name": "steps"}, "link": 24}],
         "outputs": [{"name": "LATENT", "type": "LATENT", "links": [25]}], "widgets_values": [99, 4]}],
       "links": [
        {"id": 21, "origin_id": 5, "origin_slot": 0, "target_id": 6, "target_slot": 1, "type": "LATENT"},
        {"id": 22, "origin_id": -10, "origin_slot": 0, "target_id": 6, "target_slot": 0, "type": "MODEL"},
        {"id": 23, "origin_id": -10, "origin_slot": 1, "target_id": 6, "target_slot": 2, "type": "INT"},
        {"id": 24, "origin_id": -10, "origin_slot": 2, "target_id": 6, "target_slot": 3, "type": "INT"},
        {"id": 25, "origin_id": 6, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "LATENT"}]},
      {"id": "s2", "name": "Sample", "inputNode": {"id": -10}, "outputNode": {"id": -20},
       "inputs": [{"name": "model", "type": "MODEL"}, {"name": "latent", "type": "LATENT"}, {"name": "seed", "type": "INT"}, {"name": "steps", "type": "INT"}],
       "outputs": [{"name": "LATENT", "type": "LATENT"}],
       "nodes": [
        {"id": 7, "type": "KSampler", "mode": 0, "title": "Inner sampler",
         "inputs": [{"name": "model", "type": "MODEL", "link": 31}, {"name": "latent_image", "type": "LATENT", "link": 32},
                    {"name": "seed", "type": "INT", "widget": {"name": "seed"}, "link": 33}, {"name": "steps", "type": "INT", "widget": {"name": "steps"}, "link": 34}],
         "outputs": [{"name": "LATENT", "type": "LATENT", "links": [35]}], "widgets_values": [1, "fixed", 3, 6.5, "ddim", "normal", 0.75]}],
       "links": [[31, -10, 0, 7, 0, "MODEL"], [32, -10, 1, 7, 1, "LATENT"], [33, -10, 2, 7, 2, "INT"], [34, -10, 3, 7, 3, "INT"], [35, 7, 0, -20, 0, "LATENT"]]}
     ]}}
    """;

    [Fact]
    public void Nested_subgraphs_flatten_to_path_ids_with_promoted_widget_values_and_outer_links()
    {
        JsonObject api = UiWorkflowConverter.Convert(JsonNode.Parse(Workflow)!.AsObject(), ObjectInfo);

        Assert.Equal(["1", "2", "10:5", "10:6:7", "11"], api.Select(p => p.Key));
        Assert.Equal("""{"width":64,"height":48,"batch_size":1}""", api["10:5"]!["inputs"]!.ToJsonString());
        Assert.Equal(
            """{"seed":42,"steps":["2",0],"cfg":6.5,"sampler_name":"ddim","scheduler":"normal","denoise":0.75,"model":["1",0],"latent_image":["10:5",0]}""",
            api["10:6:7"]!["inputs"]!.ToJsonString());
        Assert.Equal("Inner sampler", (string?)api["10:6:7"]!["_meta"]!["title"]);
        Assert.Equal("""["10:6:7",0]""", api["11"]!["inputs"]!["latent_image"]!.ToJsonString());
    }

    [Fact]
    public void An_instance_input_linked_outside_wins_over_its_widget_value_and_one_without_any_value_keeps_the_inner_widget()
    {
        JsonObject workflow = JsonNode.Parse(Workflow)!.AsObject();
        // Instance 10 saves no widget values: the unlinked seed has no promoted value, so the inner sampler keeps its own.
        workflow["nodes"]![2]!["widgets_values"] = new JsonArray();
        JsonObject api = UiWorkflowConverter.Convert(workflow, ObjectInfo);
        Assert.Equal(1, (int)api["10:6:7"]!["inputs"]!["seed"]!);
        Assert.Equal("""["2",0]""", api["10:6:7"]!["inputs"]!["steps"]!.ToJsonString());

        // Named widget values work too, and unlinking the PrimitiveInt hands steps to the promoted value.
        workflow["nodes"]![2]!["widgets_values"] = new JsonObject { ["seed"] = 8, ["steps"] = 9 };
        workflow["nodes"]![2]!["inputs"]![1]!["link"] = null;
        api = UiWorkflowConverter.Convert(workflow, ObjectInfo);
        Assert.Equal(8, (int)api["10:6:7"]!["inputs"]!["seed"]!);
        Assert.Equal(9, (int)api["10:6:7"]!["inputs"]!["steps"]!);
    }

    [Fact]
    public void A_bypassed_instance_passes_its_input_through_and_unknown_inner_types_are_reported()
    {
        JsonObject workflow = JsonNode.Parse(Workflow)!.AsObject();
        // Bypassing instance 10 (MODEL in, LATENT out: no input of the output's type) leaves sampler 11 unlinked.
        workflow["nodes"]![2]!["mode"] = 4;
        JsonObject api = UiWorkflowConverter.Convert(workflow, ObjectInfo);
        Assert.Equal(["1", "2", "11"], api.Select(p => p.Key));
        Assert.False(api["11"]!["inputs"]!.AsObject().ContainsKey("latent_image"));

        JsonObject broken = JsonNode.Parse(Workflow)!.AsObject();
        broken["definitions"]!["subgraphs"]![1]!["nodes"]![0]!["type"] = "NoSuchNode";
        FormatException error = Assert.Throws<FormatException>(() => UiWorkflowConverter.Convert(broken, ObjectInfo));
        Assert.Contains("10:6:7", error.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchNode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_corpus_templates_with_subgraphs_convert_with_the_reference_catalogue()
    {
        var objectInfo = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Shared, "spec", "samples", "object_info_reference_0.8.0.json")))!.AsObject();
        string templates = Path.Combine(TestPaths.Shared, "workflows", "corpus", "workflow-templates");

        // "Grow and Blur Mask" (instance 48): mask from outside, expand and blur_radius from the instance's widgets (0, 31).
        JsonObject fill = UiWorkflowConverter.Convert(
            JsonNode.Parse(File.ReadAllText(Path.Combine(templates, "templates__image_flux.1_fill_dev_OneReward.json")))!.AsObject(), objectInfo);
        Assert.False(fill.ContainsKey("48"));
        Assert.Equal("GrowMask", (string?)fill["48:199"]!["class_type"]);
        Assert.Equal(0, (int)fill["48:199"]!["inputs"]!["expand"]!);
        Assert.True((bool)fill["48:199"]!["inputs"]!["tapered_corners"]!);
        Assert.Equal(31, (int)fill["48:252"]!["inputs"]!["blur_radius"]!);
        Assert.Equal("""["48:251",0]""", fill["48:252"]!["inputs"]!["image"]!.ToJsonString());
        Assert.Contains(fill, p => p.Value!["inputs"]!.AsObject().Any(i => i.Value?.ToJsonString() == """["48:253",0]"""));
        string maskSource = fill["48:199"]!["inputs"]!["mask"]![0]!.GetValue<string>();
        Assert.False(maskSource.Contains(':', StringComparison.Ordinal), maskSource);

        foreach (string name in new[] { "templates__video_wan2_2_14B_s2v.json", "templates__flux1_dev_uso_reference_image_gen.json", "templates__image_qwen_image_instantx_controlnet.json" })
        {
            JsonObject api = UiWorkflowConverter.Convert(JsonNode.Parse(File.ReadAllText(Path.Combine(templates, name)))!.AsObject(), objectInfo);
            // Every link points at a node of the prompt: nothing dangles at a subgraph boundary.
            foreach ((string id, JsonNode? node) in api)
            {
                foreach ((string input, JsonNode? value) in node!["inputs"]!.AsObject())
                {
                    if (value is JsonArray { Count: 2 } link && link[0] is JsonValue origin && origin.TryGetValue(out string? originId))
                    {
                        Assert.True(api.ContainsKey(originId), $"{name}: {id}.{input} links to {originId}, not in the prompt");
                    }
                }
            }
            Assert.Contains(api, p => p.Key.Contains(':', StringComparison.Ordinal));
        }
    }
}
