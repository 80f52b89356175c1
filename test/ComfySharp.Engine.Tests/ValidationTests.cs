using System.Text.Json.Nodes;
using ComfySharp.Engine.Tests.Support;
using Xunit;

namespace ComfySharp.Engine.Tests;

public sealed class ValidationTests
{
    private static JsonObject Body(PromptValidation v) => new()
    {
        ["error"] = v.Error?.DeepClone(),
        ["node_errors"] = v.NodeErrors.DeepClone(),
    };

    [Theory]
    [InlineData("b1_validation_value_below_min.json")]
    [InlineData("b2_validation_missing_input.json")]
    [InlineData("b3_validation_unknown_class.json")]
    [InlineData("b4_validation_no_outputs.json")]
    [InlineData("b5_validation_type_mismatch.json")]
    [InlineData("b6_validation_bad_combo_value.json")]
    [InlineData("b8_validation_wrong_value_type.json")]
    public async Task Rejected_prompts_produce_the_reference_body(string sample)
    {
        var harness = new Harness();
        var data = Harness.Sample(sample);
        var prompt = (JsonObject)data["request"]!["prompt"]!.DeepClone();
        var validation = await harness.ValidateAsync(prompt);
        Assert.False(validation.IsValid);
        Assert.Equal(data["response"]!["body"]!.ToJsonString(), Body(validation).ToJsonString());
    }

    [Fact]
    public async Task Link_to_a_missing_node_is_an_exception_during_validation()
    {
        var harness = new Harness();
        var data = Harness.Sample("b7_validation_link_to_missing_node.json");
        var validation = await harness.ValidateAsync((JsonObject)data["request"]!["prompt"]!.DeepClone());
        var expected = (JsonObject)data["response"]!["body"]!;
        var error = validation.NodeErrors["2"]!["errors"]![0]!;
        Assert.Equal("exception_during_validation", (string?)error["type"]);
        Assert.Equal("'99'", (string?)error["details"]);
        Assert.Equal("KeyError", (string?)error["extra_info"]!["exception_type"]);
        Assert.IsType<JsonArray>(error["extra_info"]!["traceback"]);
        Assert.Equal(expected["error"]!.ToJsonString(), validation.Error!.ToJsonString());
    }

    [Fact]
    public async Task Partial_failure_keeps_the_valid_output_and_reports_the_other()
    {
        var harness = new Harness();
        var data = Harness.Sample("b9_partial_invalid_output.json");
        var validation = await harness.ValidateAsync((JsonObject)data["request"]!["prompt"]!.DeepClone());
        Assert.True(validation.IsValid);
        Assert.Equal(["2"], validation.OutputsToExecute);
        Assert.Equal(data["response"]!["body"]!["node_errors"]!.ToJsonString(), validation.NodeErrors.ToJsonString());
    }

    [Fact]
    public async Task Coerced_values_replace_submitted_ones()
    {
        var harness = new Harness();
        var prompt = (JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 8.7, "height": "9", "batch_size": true, "color": {"__value__": 5}}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": 12}}}
            """)!;
        var validation = await harness.ValidateAsync(prompt);
        Assert.True(validation.IsValid);
        Assert.Equal("""{"width":8,"height":9,"batch_size":1,"color":5}""", prompt["1"]!["inputs"]!.ToJsonString());
        Assert.Equal("\"12\"", prompt["2"]!["inputs"]!["filename_prefix"]!.ToJsonString());
    }

    [Fact]
    public async Task Float_widgets_keep_python_float_form_and_seeds_stay_exact()
    {
        var harness = new Harness();
        var prompt = (JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "TestIntMathOperation", "inputs": {"a": 18446744073709551615, "b": -18446744073709551615, "operation": "add"}},
             "2": {"class_type": "StubFloat", "inputs": {"value": 3}},
             "3": {"class_type": "TestCapture", "inputs": {"value": ["1", 0]}},
             "4": {"class_type": "TestCapture", "inputs": {"value": ["2", 0]}}}
            """)!;
        var validation = await harness.ValidateAsync(prompt);
        Assert.True(validation.IsValid, validation.NodeErrors.ToJsonString());
        Assert.Equal("18446744073709551615", prompt["1"]!["inputs"]!["a"]!.ToJsonString());
        Assert.Equal("3.0", prompt["2"]!["inputs"]!["value"]!.ToJsonString());
    }

    [Fact]
    public async Task Static_cycle_is_rejected_with_an_empty_body()
    {
        var harness = new Harness();
        var prompt = (JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
             "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """)!;
        var validation = await harness.ValidateAsync(prompt);
        Assert.False(validation.IsValid);
        Assert.Equal("""{"error":{"type":"prompt_outputs_failed_validation","message":"Prompt outputs failed validation","details":"","extra_info":{}},"node_errors":{}}""",
            Body(validation).ToJsonString());
    }

    [Fact]
    public async Task Missing_class_type_and_empty_partial_targets()
    {
        var harness = new Harness();
        var missing = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""{"7": {"inputs": {}}}""")!);
        Assert.Equal("invalid_prompt", (string?)missing.Error!["type"]);
        Assert.Equal("Cannot execute because a node is missing the class_type property.", (string?)missing.Error["message"]);
        Assert.Equal("Node ID '#7'", (string?)missing.Error["details"]);
        var prompt = """{"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}""";
        var none = await harness.ValidateAsync((JsonObject)JsonNode.Parse(prompt)!, []);
        Assert.Equal("prompt_no_outputs", (string?)none.Error!["type"]);
        var only = await harness.ValidateAsync((JsonObject)JsonNode.Parse(prompt)!, ["2", "1"]);
        Assert.Equal(["2"], only.OutputsToExecute);
    }

    [Fact]
    public async Task Bad_link_shapes_and_slots()
    {
        var harness = new Harness();
        var badLength = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""{"2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0, 3], "filename_prefix": "x"}}}""")!);
        Assert.Equal("bad_linked_input", (string?)badLength.NodeErrors["2"]!["errors"]![0]!["type"]);
        var intId = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""{"2": {"class_type": "SaveImage", "inputs": {"images": [1, 0], "filename_prefix": "x"}}}""")!);
        Assert.Equal("1", (string?)intId.NodeErrors["2"]!["errors"]![0]!["details"]);
        var badSlot = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 5], "filename_prefix": "x"}}}
            """)!);
        var error = badSlot.NodeErrors["2"]!["errors"]![0]!;
        Assert.Equal("tuple index out of range", (string?)error["details"]);
        Assert.Equal("IndexError", (string?)error["extra_info"]!["exception_type"]);
    }

    [Fact]
    public async Task Inner_exception_is_attached_to_the_source_node()
    {
        var harness = new Harness();
        var v = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "ImageInvert", "inputs": {"image": ["99", 0]}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
            """)!);
        Assert.False(v.IsValid);
        var error = v.NodeErrors["1"]!["errors"]![0]!;
        Assert.Equal("exception_during_inner_validation", (string?)error["type"]);
        Assert.Equal("'99'", (string?)error["details"]);
        Assert.Equal("""["1",0]""", error["extra_info"]!["linked_node"]!.ToJsonString());
        Assert.Null(v.NodeErrors["2"]);
        Assert.Equal("", (string?)v.Error!["details"]);
    }

    private static string Errors(PromptValidation v, string id) =>
        string.Join(" | ", ((JsonArray)v.NodeErrors[id]!["errors"]!).Select(e => $"{(string?)e!["type"]}: {(string?)e["details"]}"));

    private const string Black = """{"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}}""";

    [Fact]
    public async Task Named_parameter_validator_rejects_integer_literals_once_per_key()
    {
        var harness = new Harness();
        var v = await harness.ValidateAsync((JsonObject)JsonNode.Parse($$$$"""
            {"1": {"class_type": "TestCustomValidation1", "inputs": {"input1": 5, "input2": 5.0}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
            """)!);
        Assert.Equal("custom_validation_failed: input1 - Invalid type of input1: <class 'int'> | custom_validation_failed: input2 - Invalid type of input1: <class 'int'>", Errors(v, "1"));

        var ok = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "TestCustomValidation1", "inputs": {"input1": 5.0, "input2": 2.0}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
            """)!);
        Assert.True(ok.IsValid);
    }

    [Fact]
    public async Task Link_type_checks_depend_on_the_validator_signature()
    {
        var harness = new Harness();
        string Graph(string cls) => $$$$"""
            {"1": {"class_type": "StubInt", "inputs": {"value": 2}},
             "2": {"class_type": "{{{{cls}}}}", "inputs": {"input1": ["1", 0], "input2": 1.0}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """;
        var v1 = await harness.ValidateAsync((JsonObject)JsonNode.Parse(Graph("TestCustomValidation1"))!);
        Assert.Equal("return_type_mismatch: input1, received_type(INT) mismatch input_type(IMAGE,FLOAT)", Errors(v1, "2"));
        var v2 = await harness.ValidateAsync((JsonObject)JsonNode.Parse(Graph("TestCustomValidation2"))!);
        Assert.Equal("custom_validation_failed: input1 - Invalid type of input1: INT | custom_validation_failed: input2 - Invalid type of input1: INT | custom_validation_failed: input_types - Invalid type of input1: INT", Errors(v2, "2"));
        var v3 = await harness.ValidateAsync((JsonObject)JsonNode.Parse(Graph("TestCustomValidation3"))!);
        Assert.Equal("custom_validation_failed: input_types - Invalid type of input1: INT (expected IMAGE,FLOAT)", Errors(v3, "2"));
    }

    [Fact]
    public async Task Keyword_validator_bypasses_min_and_max_but_rejects_sevens()
    {
        var harness = new Harness();
        string Graph(string a, string b) => $$$$"""
            {"1": {"class_type": "TestCustomValidation5", "inputs": {"input1": {{{{a}}}}, "input2": {{{{b}}}}}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
            """;
        Assert.True((await harness.ValidateAsync((JsonObject)JsonNode.Parse(Graph("-3.0", "5.0"))!)).IsValid);
        var seven = await harness.ValidateAsync((JsonObject)JsonNode.Parse(Graph("1.0", "7.0"))!);
        Assert.Equal("custom_validation_failed: input1 - 7s are not allowed. I've never liked 7s. | custom_validation_failed: input2 - 7s are not allowed. I've never liked 7s.", Errors(seven, "1"));
    }

    [Fact]
    public async Task Async_validator_reports_python_floats()
    {
        var harness = new Harness();
        var v = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "TestAsyncValidationError", "inputs": {"value": 15, "max_value": 10}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
            """)!);
        Assert.Equal("custom_validation_failed: value - Async validation failed: 15.0 > 10.0 | custom_validation_failed: max_value - Async validation failed: 15.0 > 10.0", Errors(v, "1"));
    }

    [Fact]
    public async Task Variant_validator_checks_block_input_type()
    {
        var harness = new Harness();
        var v = await harness.ValidateAsync((JsonObject)JsonNode.Parse($$$$"""
            {"1": {{{{Black}}}},
             "2": {"class_type": "StubInt", "inputs": {"value": 1}},
             "3": {"class_type": "TestExecutionBlocker", "inputs": {"input": ["1", 0], "block": ["2", 0], "verbose": false}},
             "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}}}
            """)!);
        Assert.Equal("custom_validation_failed: input_types - Invalid type of block: INT (expected BOOLEAN)", Errors(v, "3"));
    }

    [Fact]
    public async Task Value_not_in_list_with_long_list_hides_the_config()
    {
        var harness = new Harness();
        var v = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "TestIntConditions", "inputs": {"a": 1, "b": 2, "operation": "~"}},
             "2": {"class_type": "TestCapture", "inputs": {"value": ["1", 0]}}}
            """)!);
        Assert.Equal("value_not_in_list: operation: '~' not in ['==', '!=', '<', '>', '<=', '>=']", Errors(v, "1"));
    }

    [Fact]
    public async Task Value_bigger_than_max_prints_python_numbers()
    {
        var harness = new Harness();
        var v = await harness.ValidateAsync((JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "StubConstantImage", "inputs": {"value": 1.5, "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
            """)!);
        var error = v.NodeErrors["1"]!["errors"]![0]!;
        Assert.Equal("Value 1.5 bigger than max of 1.0", (string?)error["message"]);
        Assert.Equal("""["FLOAT",{"default":0.5,"min":0.0,"max":1.0,"step":0.01}]""", error["extra_info"]!["input_config"]!.ToJsonString());
    }
}
