using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using Xunit;

namespace ComfySharp.Client.Tests;

public sealed class BuilderTests
{
    [Fact]
    public void Builder_produces_api_format_with_links_and_key_order()
    {
        var builder = new WorkflowBuilder();
        WorkflowNode image = builder.Add("StubImage", new { content = "WHITE", height = 8, width = 16, batch_size = 1 });
        WorkflowNode save = builder.Add("SaveImage").Link("images", image).Set("filename_prefix", "x/y");
        JsonObject prompt = builder.Build();
        Assert.Equal(["1", "2"], prompt.Select(p => p.Key));
        Assert.Equal(["content", "height", "width", "batch_size"], prompt["1"]!["inputs"]!.AsObject().Select(p => p.Key));
        Assert.Equal("[\"1\",0]", prompt["2"]!["inputs"]!["images"]!.ToJsonString());
        Assert.Equal("SaveImage", (string)prompt[save.Id]!["class_type"]!);
        Assert.Equal(16, (int)prompt["1"]!["inputs"]!["width"]!);
        Assert.Throws<ArgumentException>(() => builder.Add("X", id: "1"));
    }

    [Fact]
    public void Set_assignments_parse_json_or_text_and_find_nodes_by_class_or_title()
    {
        JsonObject prompt = JsonNode.Parse("""{"3": {"class_type": "KSampler", "inputs": {"seed": 1}}, "9": {"class_type": "SaveImage", "inputs": {}, "_meta": {"title": "Save"}}}""")!.AsObject();
        PromptEdits.Apply(prompt, "3.seed=42");
        PromptEdits.Apply(prompt, "KSampler.cfg=7.5");
        PromptEdits.Apply(prompt, "Save.filename_prefix=out/run");
        PromptEdits.Apply(prompt, "3.sampler_name=\"euler\"");
        Assert.Equal(42, (long)prompt["3"]!["inputs"]!["seed"]!);
        Assert.Equal(7.5, (double)prompt["3"]!["inputs"]!["cfg"]!);
        Assert.Equal("out/run", (string)prompt["9"]!["inputs"]!["filename_prefix"]!);
        Assert.Equal("euler", (string)prompt["3"]!["inputs"]!["sampler_name"]!);
        Assert.Throws<KeyNotFoundException>(() => PromptEdits.Apply(prompt, "77.x=1"));
        Assert.Throws<FormatException>(() => PromptEdits.Apply(prompt, "no-assignment"));
    }
}

public sealed class UiConverterTests
{
    private static readonly JsonObject ObjectInfo = JsonNode.Parse("""
    {
      "KSampler": {"input": {"required": {
          "model": ["MODEL"], "seed": ["INT", {"default": 0, "control_after_generate": true}], "steps": ["INT", {"default": 20}],
          "cfg": ["FLOAT", {}], "sampler_name": [["euler", "ddim"]], "scheduler": [["normal"]], "positive": ["CONDITIONING"],
          "negative": ["CONDITIONING"], "latent_image": ["LATENT"], "denoise": ["FLOAT", {}]}},
        "input_order": {"required": ["model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "denoise"]}},
      "CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["a.safetensors"]]}}, "input_order": {"required": ["ckpt_name"]}},
      "CLIPTextEncode": {"input": {"required": {"text": ["STRING", {"multiline": true}], "clip": ["CLIP"]}}, "input_order": {"required": ["text", "clip"]}},
      "EmptyLatentImage": {"input": {"required": {"width": ["INT", {}], "height": ["INT", {}], "batch_size": ["INT", {}]}}, "input_order": {"required": ["width", "height", "batch_size"]}}
    }
    """)!.AsObject();

    // Shaped like a workflow the frontend saves: widgets_values with the seed control word, a reroute,
    // a note, and a primitive feeding the sampler's steps.
    private const string UiWorkflow = """
    {"last_node_id": 12, "last_link_id": 9, "version": 0.4,
     "nodes": [
      {"id": 4, "type": "CheckpointLoaderSimple", "mode": 0, "inputs": [], "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}, {"name": "CLIP", "type": "CLIP", "links": [2, 3]}], "widgets_values": ["a.safetensors"]},
      {"id": 6, "type": "CLIPTextEncode", "mode": 0, "title": "Positive", "inputs": [{"name": "clip", "type": "CLIP", "link": 2}], "widgets_values": ["a cat"]},
      {"id": 7, "type": "CLIPTextEncode", "mode": 0, "inputs": [{"name": "clip", "type": "CLIP", "link": 3}], "widgets_values": ["blurry"]},
      {"id": 5, "type": "EmptyLatentImage", "mode": 0, "inputs": [], "widgets_values": [512, 768, 1]},
      {"id": 10, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 1}], "outputs": [{"name": "", "type": "MODEL", "links": [4]}]},
      {"id": 11, "type": "Note", "mode": 0, "widgets_values": ["remember"]},
      {"id": 12, "type": "PrimitiveNode", "mode": 0, "outputs": [{"name": "INT", "type": "INT", "links": [9]}], "widgets_values": [25, "fixed"]},
      {"id": 3, "type": "KSampler", "mode": 0,
       "inputs": [{"name": "model", "type": "MODEL", "link": 4}, {"name": "positive", "type": "CONDITIONING", "link": 5},
                  {"name": "negative", "type": "CONDITIONING", "link": 6}, {"name": "latent_image", "type": "LATENT", "link": 7},
                  {"name": "steps", "type": "INT", "link": 9, "widget": {"name": "steps"}}],
       "widgets_values": [156680208700286, "randomize", 25, 8, "euler", "normal", 1]}
     ],
     "links": [[1, 4, 0, 10, 0, "MODEL"], [2, 4, 1, 6, 0, "CLIP"], [3, 4, 1, 7, 0, "CLIP"], [4, 10, 0, 3, 0, "MODEL"],
               [5, 6, 0, 3, 1, "CONDITIONING"], [6, 7, 0, 3, 2, "CONDITIONING"], [7, 5, 0, 3, 3, "LATENT"], [9, 12, 0, 3, 4, "INT"]]}
    """;

    [Fact]
    public void Ui_workflow_converts_like_the_frontend()
    {
        JsonObject ui = JsonNode.Parse(UiWorkflow)!.AsObject();
        Assert.True(UiWorkflowConverter.IsUiFormat(ui));
        JsonObject api = UiWorkflowConverter.Convert(ui, ObjectInfo);
        Assert.Equal(["3", "4", "5", "6", "7"], api.Select(p => p.Key));
        JsonObject sampler = api["3"]!["inputs"]!.AsObject();
        Assert.Equal(156680208700286, (long)sampler["seed"]!);
        Assert.Equal(25, (int)sampler["steps"]!);
        Assert.Equal(8, (int)sampler["cfg"]!);
        Assert.Equal("euler", (string)sampler["sampler_name"]!);
        Assert.Equal("normal", (string)sampler["scheduler"]!);
        Assert.Equal(1, (int)sampler["denoise"]!);
        Assert.Equal("[\"4\",0]", sampler["model"]!.ToJsonString());
        Assert.Equal("[\"6\",0]", sampler["positive"]!.ToJsonString());
        Assert.Equal("[\"5\",0]", sampler["latent_image"]!.ToJsonString());
        Assert.Equal(["seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "model", "positive", "negative", "latent_image"], sampler.Select(p => p.Key));
        Assert.Equal("[\"4\",1]", api["7"]!["inputs"]!["clip"]!.ToJsonString());
        Assert.Equal("Positive", (string)api["6"]!["_meta"]!["title"]!);
        Assert.Equal(768, (int)api["5"]!["inputs"]!["height"]!);
    }

    [Fact]
    public void Unknown_node_types_are_reported()
    {
        JsonObject ui = JsonNode.Parse("""{"nodes": [{"id": 1, "type": "NoSuchNode", "mode": 0, "widgets_values": []}], "links": []}""")!.AsObject();
        FormatException error = Assert.Throws<FormatException>(() => UiWorkflowConverter.Convert(ui, ObjectInfo));
        Assert.Contains("NoSuchNode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Muted_and_bypassed_nodes_are_left_out_and_bypass_passes_through()
    {
        const string ui = """
        {"nodes": [
          {"id": 1, "type": "EmptyLatentImage", "mode": 0, "widgets_values": [64, 64, 1]},
          {"id": 2, "type": "KSampler", "mode": 4, "inputs": [{"name": "latent_image", "type": "LATENT", "link": 1}], "outputs": [{"name": "LATENT", "type": "LATENT", "links": [2]}], "widgets_values": [1, "fixed", 20, 8, "euler", "normal", 1]},
          {"id": 3, "type": "KSampler", "mode": 0, "inputs": [{"name": "latent_image", "type": "LATENT", "link": 2}], "widgets_values": [5, 20, 8, "euler", "normal", 1]},
          {"id": 4, "type": "EmptyLatentImage", "mode": 2, "widgets_values": [64, 64, 1]}],
         "links": [{"id": 1, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "LATENT"},
                   {"id": 2, "origin_id": 2, "origin_slot": 0, "target_id": 3, "target_slot": 0, "type": "LATENT"}]}
        """;
        JsonObject api = UiWorkflowConverter.Convert(JsonNode.Parse(ui)!.AsObject(), ObjectInfo);
        Assert.Equal(["1", "3"], api.Select(p => p.Key));
        Assert.Equal("[\"1\",0]", api["3"]!["inputs"]!["latent_image"]!.ToJsonString());
        // No control word after the seed here: the next value is the steps count.
        Assert.Equal(20, (int)api["3"]!["inputs"]!["steps"]!);
    }

    [Fact]
    public void Legacy_group_nodes_expand_into_their_inner_nodes()
    {
        // A group "Gen" of EmptyLatentImage -> KSampler; the group takes the sampler's model/positive/negative and
        // exposes its LATENT, which a second sampler outside consumes.
        const string ui = """
        {"nodes": [
          {"id": 1, "type": "CheckpointLoaderSimple", "mode": 0, "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}], "widgets_values": ["a.safetensors"]},
          {"id": 2, "type": "CLIPTextEncode", "mode": 0, "widgets_values": ["cat"]},
          {"id": 5, "type": "workflow/Gen", "mode": 0,
           "inputs": [{"name": "model", "type": "MODEL", "link": 1}, {"name": "positive", "type": "CONDITIONING", "link": 2}, {"name": "negative", "type": "CONDITIONING", "link": 3}],
           "outputs": [{"name": "LATENT", "type": "LATENT", "links": [4]}],
           "widgets_values": [512, 768, 1, 42, "fixed", 20, 8, "euler", "normal", 1]},
          {"id": 6, "type": "KSampler", "mode": 0, "inputs": [{"name": "latent_image", "type": "LATENT", "link": 4}], "widgets_values": [7, "fixed", 5, 8, "euler", "normal", 0.5]}],
         "links": [[1, 1, 0, 5, 0, "MODEL"], [2, 2, 0, 5, 1, "CONDITIONING"], [3, 2, 0, 5, 2, "CONDITIONING"], [4, 5, 0, 6, 0, "LATENT"]],
         "extra": {"groupNodes": {"Gen": {
           "nodes": [
             {"index": 0, "type": "EmptyLatentImage", "inputs": [], "outputs": [{"name": "LATENT", "type": "LATENT", "links": []}], "widgets_values": [64, 64, 1]},
             {"index": 1, "type": "KSampler", "inputs": [{"name": "model", "type": "MODEL", "link": null}, {"name": "positive", "type": "CONDITIONING", "link": null},
               {"name": "negative", "type": "CONDITIONING", "link": null}, {"name": "latent_image", "type": "LATENT", "link": null}],
              "outputs": [{"name": "LATENT", "type": "LATENT", "links": []}], "widgets_values": [1, "fixed", 1, 1, "euler", "normal", 1]}],
           "links": [[0, 0, 1, 3, 9, "LATENT"], [null, 0, 1, 0, 1, "MODEL"]],
           "external": [[1, 0, "LATENT"]]}}}}
        """;
        JsonObject api = UiWorkflowConverter.Convert(JsonNode.Parse(ui)!.AsObject(), ObjectInfo);
        Assert.DoesNotContain("5", api.Select(p => p.Key));
        string latentId = api.Single(p => (string)p.Value!["class_type"]! == "EmptyLatentImage").Key;
        var inner = api.Single(p => (string)p.Value!["class_type"]! == "KSampler" && p.Key != "6");
        JsonObject sampler = inner.Value!["inputs"]!.AsObject();
        Assert.Equal(768, (int)api[latentId]!["inputs"]!["height"]!);
        Assert.Equal(42, (int)sampler["seed"]!);
        Assert.Equal(20, (int)sampler["steps"]!);
        Assert.Equal($"[\"{latentId}\",0]", sampler["latent_image"]!.ToJsonString());
        Assert.Equal("[\"1\",0]", sampler["model"]!.ToJsonString());
        Assert.Equal("[\"2\",0]", sampler["negative"]!.ToJsonString());
        Assert.Equal($"[\"{inner.Key}\",0]", api["6"]!["inputs"]!["latent_image"]!.ToJsonString());
    }

    [Fact]
    public void Old_workflows_with_a_boolean_seed_toggle_and_fewer_widgets_get_the_frontend_defaults()
    {
        // Saved by an early frontend: a boolean "randomize" toggle after the seed, and no value yet for the
        // widgets added to the nodes since (steps here, the checkpoint of the loader).
        const string ui = """
        {"nodes": [
          {"id": 1, "type": "KSampler", "mode": 0, "widgets_values": [7, true]},
          {"id": 2, "type": "CheckpointLoaderSimple", "mode": 0}],
         "links": []}
        """;
        JsonObject api = UiWorkflowConverter.Convert(JsonNode.Parse(ui)!.AsObject(), ObjectInfo);
        JsonObject sampler = api["1"]!["inputs"]!.AsObject();
        Assert.Equal(7, (int)sampler["seed"]!);
        Assert.Equal(20, (int)sampler["steps"]!);
        Assert.Equal("euler", (string)sampler["sampler_name"]!);
        Assert.False(sampler.ContainsKey("cfg"));
        Assert.Equal("a.safetensors", (string)api["2"]!["inputs"]!["ckpt_name"]!);
    }
}

public sealed class FrameDecoderTests
{
    [Fact]
    public void Binary_frames_from_the_server_encoders_decode()
    {
        byte[] jpeg = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3];
        var legacy = (PreviewImageEvent)ComfyEvent.ParseBinary(BinaryFrames.PreviewImage(1, jpeg));
        Assert.Equal("image/jpeg", legacy.MediaType);
        Assert.Equal(jpeg, legacy.Image);
        Assert.Null(legacy.Metadata);

        byte[] png = [0x89, 0x50, 0x4e, 0x47];
        Assert.Equal("image/png", ((PreviewImageEvent)ComfyEvent.ParseBinary(BinaryFrames.PreviewImage(2, png))).MediaType);

        JsonObject metadata = BinaryFrames.PreviewMetadata("2", "p-1", "2", null, "2", "image/jpeg");
        var withMetadata = (PreviewImageEvent)ComfyEvent.ParseBinary(BinaryFrames.PreviewImageWithMetadata(metadata, jpeg));
        Assert.Equal(jpeg, withMetadata.Image);
        Assert.Equal("p-1", withMetadata.PromptId);
        Assert.Equal("2", (string)withMetadata.Metadata!["node_id"]!);

        var text = (TextEvent)ComfyEvent.ParseBinary(BinaryFrames.Text("3", "hello"));
        Assert.Equal(("3", "hello"), (text.NodeId, text.Text));
        // The verified bytes of WEBSOCKET.md §5.
        var verified = (TextEvent)ComfyEvent.ParseBinary(Convert.FromHexString("0000000300000001" + "33" + "68656c6c6f"));
        Assert.Equal("hello", verified.Text);
        Assert.Throws<FormatException>(() => ComfyEvent.ParseBinary(Convert.FromHexString("000000030000ffff33")));
        Assert.IsType<UnknownBinaryEvent>(ComfyEvent.ParseBinary(Convert.FromHexString("0000000900000000")));
    }

    [Fact]
    public void Text_frames_of_the_capture_decode_to_typed_events()
    {
        string[] lines = File.ReadAllLines(Path.Combine(ComfySharp.TestKit.TestPaths.Shared, "spec", "samples", "a_success.ws.txt"));
        var events = lines.Select(l => l.Trim()).Where(l => l.StartsWith('{')).Select(ComfyEvent.ParseText).ToList();
        Assert.Contains(events, e => e is StatusEvent { Sid: not null });
        Assert.Contains(events, e => e is ExecutionStartEvent);
        Assert.Contains(events, e => e is ExecutedEvent { Output: not null });
        Assert.IsType<ExecutingEvent>(events[^1]);
        Assert.Null(((ExecutingEvent)events[^1]).Node);
        Assert.DoesNotContain(events, e => e is UnknownEvent);

        var progress = (ProgressEvent)ComfyEvent.ParseText("""{"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": "p", "node": "3"}}""");
        Assert.Equal((3.0, 20.0, "3", "p"), (progress.Value, progress.Max, progress.Node, progress.PromptId));
        var error = (ExecutionErrorEvent)ComfyEvent.ParseText("""{"type": "execution_error", "data": {"prompt_id": "p", "node_id": "2", "node_type": "X", "exception_message": "boom\n", "exception_type": "RuntimeError"}}""");
        Assert.Equal("RuntimeError", error.ExceptionType);
        Assert.Equal(Encoding.UTF8.GetByteCount("boom\n"), error.ExceptionMessage.Length);
    }
}
