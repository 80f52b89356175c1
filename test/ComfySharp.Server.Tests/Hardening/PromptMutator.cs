using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Seeded mutations of valid <c>POST /prompt</c> bodies: values swapped for hostile ones (wrong types,
/// huge or non-finite numbers, deep nesting, bad links, cycles, NUL and lone surrogates), keys dropped
/// or added, class types swapped, body fields of the wrong type, and now and then raw text damage.
/// The same seed gives the same sequence of bodies, so every finding can be replayed.
/// </summary>
internal sealed class PromptMutator(int seed)
{
    private static readonly string[] Classes =
    [
        "EmptyImage", "ImageInvert", "ImageBlur", "ImageSharpen", "ImageScale", "ImageScaleBy", "ImageCrop", "ImagePadForOutpaint",
        "ImageBatch", "ImageBlend", "RebatchImages", "ImageQuantize", "SolidMask", "InvertMask", "GrowMask", "ImageToMask", "ThresholdMask",
        "CropMask", "FeatherMask", "MaskToImage", "MaskComposite", "EmptyLatentImage", "LatentFlip", "LatentRotate", "LatentCrop",
        "RepeatLatentBatch", "LatentFromBatch", "SaveImage", "PreviewImage", "NoSuchNode",
    ];

    private readonly Random _random = new(seed);

    /// <summary>Small, cheap, valid graphs the mutations start from.</summary>
    private static JsonObject BaseGraph(int which) => which switch
    {
        0 => HardeningServer.ValidGraph("fuzz"),
        1 => Parse("""{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 2, "color": 255}}, "2": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 1, "sigma": 1.0}}, "3": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}}, "4": {"class_type": "PreviewImage", "inputs": {"images": ["3", 0]}}}"""),
        2 => Parse("""{"1": {"class_type": "SolidMask", "inputs": {"value": 0.5, "width": 8, "height": 8}}, "2": {"class_type": "GrowMask", "inputs": {"mask": ["1", 0], "expand": 1, "tapered_corners": true}}, "3": {"class_type": "MaskToImage", "inputs": {"mask": ["2", 0]}}, "4": {"class_type": "ImageScale", "inputs": {"image": ["3", 0], "upscale_method": "nearest-exact", "width": 16, "height": 16, "crop": "disabled"}}, "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "fuzz/m"}}}"""),
        _ => Parse("""{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "ImageCrop", "inputs": {"image": ["1", 0], "width": 4, "height": 4, "x": 2, "y": 2}}, "3": {"class_type": "ImagePadForOutpaint", "inputs": {"image": ["2", 0], "left": 1, "top": 1, "right": 1, "bottom": 1, "feathering": 2}}, "4": {"class_type": "PreviewImage", "inputs": {"images": ["3", 0]}}}"""),
    };

    private static JsonObject Parse(string text) => (JsonObject)PythonJson.Parse(text)!;

    /// <summary>The next body as text (usually valid JSON; <paramref name="isRawDamage"/> when the text itself was damaged).</summary>
    public string Next(out bool isRawDamage)
    {
        var body = new JsonObject { ["prompt"] = BaseGraph(_random.Next(4)) };
        int mutations = 1 + _random.Next(4);
        for (int i = 0; i < mutations; i++)
        {
            Mutate(body);
        }
        string text = PythonJson.Serialize(body);
        isRawDamage = _random.Next(20) == 0;
        return isRawDamage ? DamageText(text) : text;
    }

    private void Mutate(JsonObject body)
    {
        JsonObject prompt = body["prompt"] as JsonObject ?? new JsonObject();
        switch (_random.Next(10))
        {
            case 0:
                // A body field of any type.
                string[] fields = ["number", "front", "extra_data", "client_id", "prompt_id", "partial_execution_targets", "prompt"];
                string field = fields[_random.Next(fields.Length)];
                body[field] = field == "extra_data" && _random.Next(2) == 0
                    ? new JsonObject { [Pick(["extra_pnginfo", "client_id", "api_key_comfy_org"])] = Weird() }
                    : Weird();
                break;
            case 1:
                if (RandomNode(prompt) is JsonObject node) { node["class_type"] = _random.Next(3) == 0 ? Weird() : Classes[_random.Next(Classes.Length)]; }
                break;
            case 2:
                if (RandomNode(prompt) is JsonObject n2 && n2.Count > 0) { n2.Remove(n2.ElementAt(_random.Next(n2.Count)).Key); }
                break;
            case 3:
                if (prompt.Count > 0) { prompt[prompt.ElementAt(_random.Next(prompt.Count)).Key] = Weird(); }
                break;
            case 4:
                // A link to a random node (possibly downstream: a cycle) or to nothing.
                if (RandomInputs(prompt) is JsonObject inputs && inputs.Count > 0)
                {
                    string target = prompt.Count > 0 && _random.Next(4) > 0 ? prompt.ElementAt(_random.Next(prompt.Count)).Key : "missing";
                    inputs[inputs.ElementAt(_random.Next(inputs.Count)).Key] = new JsonArray(target, _random.Next(-2, 3));
                }
                break;
            case 5:
                if (RandomInputs(prompt) is JsonObject i2) { i2[Pick(["extra", "images", "image", "width", "mask", "samples"])] = Weird(); }
                break;
            case 6:
                if (RandomNode(prompt) is JsonObject copy) { prompt[_random.Next(100, 200).ToString(CultureInfo.InvariantCulture)] = copy.DeepClone(); }
                break;
            case 7:
                if (RandomInputs(prompt) is JsonObject i3 && i3.Count > 0) { i3.Remove(i3.ElementAt(_random.Next(i3.Count)).Key); }
                break;
            default:
                // Most often: one widget or link value replaced by a hostile one.
                if (RandomInputs(prompt) is JsonObject i4 && i4.Count > 0) { i4[i4.ElementAt(_random.Next(i4.Count)).Key] = Weird(); }
                break;
        }
    }

    private JsonObject? RandomNode(JsonObject prompt) =>
        prompt.Count == 0 ? null : prompt.ElementAt(_random.Next(prompt.Count)).Value as JsonObject;

    private JsonObject? RandomInputs(JsonObject prompt) => RandomNode(prompt)?["inputs"] as JsonObject;

    private string Pick(string[] options) => options[_random.Next(options.Length)];

    /// <summary>A hostile value. Numbers that pass validation stay small so accepted prompts run fast.</summary>
    private JsonNode? Weird()
    {
        switch (_random.Next(30))
        {
            case 0: return null;
            case 1: return new JsonObject();
            case 2: return new JsonArray();
            case 3: return new JsonArray(new JsonArray("1", 0), 0);
            case 4: return new JsonArray("1", -1);
            case 5: return new JsonArray("1", 99);
            case 6: return new JsonArray(1, 0);
            case 7: return new JsonArray("1", "0");
            case 8: return new JsonArray("1", 0, 0);
            case 9: return new JsonArray("1", new JsonObject());
            case 10: return Deep(_random.Next(1, 120));
            case 11: return JsonNode.Parse(Pick(["1e308", "-1e308", "1e-320", "123456789012345678901234567890", "-9223372036854775809", "18446744073709551616", "0.1", "-0.0"]));
            case 12: return JsonNode.Parse(new string('9', _random.Next(20, 4300)));
            case 13: return Pick(["", "x", "nan", "inf", "-inf", "1e400", "0x10", "1_000", " 7 ", "True", "None"]);
            case 14: return "a\0b";
            case 15: return "\ud800" + "x";
            case 16: return new string('p', _random.Next(200, 5000));
            case 17: return Pick(["../x", "/etc/passwd", "../../../../tmp/escape", "sub/../../x", "%2e%2e/x", "a/b/c", "C:\\x", "\\\\server\\share"]);
            case 18: return _random.Next(2) == 0;
            case 19: return JsonValue.Create(_random.Next(-3, 9));
            case 20: return JsonValue.Create(long.Parse(Pick(["-1", "0", "1", "4"]), CultureInfo.InvariantCulture));
            case 21: return JsonValue.Create((long)int.MaxValue + _random.Next(3));
            case 22: return JsonValue.Create(long.MaxValue);
            case 23: return JsonValue.Create(100_000);
            case 24: return JsonValue.Create(-100_000);
            case 25: return JsonValue.Create(_random.NextDouble() * 4 - 2);
            case 26: return new JsonObject { ["__value__"] = Weird() };
            case 27: return new JsonArray(Pick(["1", "2", "3", "4", "5"]), _random.Next(0, 2));
            case 28: return Pick(["nearest-exact", "bilinear", "disabled", "center", "multiply", "add", "floyd-steinberg"]);
            default: return new JsonObject { ["class_type"] = Pick(Classes), ["inputs"] = new JsonObject { ["x"] = 1 } };
        }
    }

    private static JsonNode Deep(int depth)
    {
        JsonNode node = JsonValue.Create(1);
        for (int i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["a"] = node };
        }
        return node;
    }

    private string DamageText(string text)
    {
        var sb = new StringBuilder(text);
        int edits = 1 + _random.Next(3);
        for (int i = 0; i < edits && sb.Length > 0; i++)
        {
            int at = _random.Next(sb.Length);
            switch (_random.Next(3))
            {
                case 0: sb.Remove(at, 1); break;
                case 1: sb.Insert(at, Pick(["{", "}", "[", "]", ",", ":", "\"", "NaN", "Infinity", "\\u0000", "\\ud800", "-", "e999"])); break;
                default: sb[at] = (char)_random.Next(32, 127); break;
            }
        }
        return sb.ToString();
    }
}
