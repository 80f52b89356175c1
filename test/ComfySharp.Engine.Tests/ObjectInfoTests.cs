using ComfySharp.Engine.Schema;
using ComfySharp.Engine.Tests.Support;
using Xunit;

namespace ComfySharp.Engine.Tests;

public sealed class ObjectInfoTests
{
    [Fact]
    public void Testing_pack_entries_match_the_reference_byte_for_byte()
    {
        var harness = new Harness();
        var expected = Harness.Sample("object_info_testing_pack_only.json");
        var all = ObjectInfo.Build(harness.Registry, harness.Services);
        var mismatches = new List<string>();
        foreach (var (name, entry) in expected)
        {
            string want = entry!.ToJsonString();
            string got = all[name]?.ToJsonString() ?? "<missing>";
            if (want != got) { mismatches.Add($"{name}\n  want {want}\n  got  {got}"); }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        // Registration order is the reference's /object_info key order.
        var packOrder = all.Select(kv => kv.Key).Where(expected.ContainsKey).ToList();
        Assert.Equal(expected.Select(kv => kv.Key).ToList(), packOrder);
    }

    [Fact]
    public void Classic_node_with_hidden_inputs_and_one_lookup()
    {
        var harness = new Harness();
        var one = ObjectInfo.BuildOne(harness.Registry, "SaveImage", harness.Services);
        Assert.Equal(
            """{"SaveImage":{"input":{"required":{"images":["IMAGE",{"tooltip":"The images to save."}],"filename_prefix":["STRING",{"default":"ComfyUI","tooltip":"The prefix for the file to save."}]},"hidden":{"prompt":"PROMPT","extra_pnginfo":"EXTRA_PNGINFO"}},"input_order":{"required":["images","filename_prefix"],"hidden":["prompt","extra_pnginfo"]},"output":[],"output_is_list":[],"output_name":[],"name":"SaveImage","display_name":"Save Image","description":"","python_module":"nodes","category":"image","output_node":true}}""",
            one.ToJsonString());
        Assert.Empty(ObjectInfo.BuildOne(harness.Registry, "NoSuchNode", harness.Services));
    }

    [Fact]
    public void Schema_flavour_puts_tooltip_first_and_combo_options_in_options()
    {
        var schema = new ComfySharp.Abstractions.NodeSchema
        {
            ClassType = "MaskComposite", Category = "mask", PythonModule = "comfy_extras.nodes_mask", Flavor = ComfySharp.Abstractions.NodeFlavor.Schema,
            Required =
            [
                new ComfySharp.Abstractions.SocketInput<object>("destination", "MASK"),
                new ComfySharp.Abstractions.IntInput("x") { Default = 0, Min = 0, Max = 16384, Step = 1, Tooltip = "t" },
                new ComfySharp.Abstractions.ComboInput("operation", ["multiply", "add"]) { Default = "add" },
            ],
            Outputs = [new ComfySharp.Abstractions.OutputSpec("MASK")],
        };
        var json = ObjectInfo.Definition(schema, new Harness().Services).ToJsonString();
        Assert.Equal(
            """{"input":{"required":{"destination":["MASK",{}],"x":["INT",{"tooltip":"t","default":0,"min":0,"max":16384,"step":1}],"operation":["COMBO",{"default":"add","multiselect":false,"options":["multiply","add"]}]}},"input_order":{"required":["destination","x","operation"]},"output":["MASK"],"output_is_list":[false],"output_name":["MASK"],"output_tooltips":[null],"output_matchtypes":null,"name":"MaskComposite","display_name":null,"description":"","python_module":"comfy_extras.nodes_mask","category":"mask","output_node":false,"deprecated":false,"experimental":false,"api_node":false}""",
            json);
    }
}
