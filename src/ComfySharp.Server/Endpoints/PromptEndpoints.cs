using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Server.Http;
using ComfySharp.Server.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>GET/POST /prompt</c> (API.md §3).</summary>
internal static class PromptEndpoints
{
    private static readonly string[] SensitiveKeys = ["auth_token_comfy_org", "api_key_comfy_org"];

    public static void MapPromptEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/prompt", async (HttpContext context, PromptQueue queue) => ComfyResults.Json(Messages.PromptInfo(
            ScaleOut.ClusterQueueEndpoints.Of(context) is { } cluster ? await cluster.CountAsync(context.RequestAborted).ConfigureAwait(false) : queue.Remaining)));
        app.PostBoth("/prompt", PostPromptAsync);
    }

    private static async Task<IResult> PostPromptAsync(HttpRequest request, PromptQueue queue, IPromptChecker checker)
    {
        JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
        double number;
        bool numberIsFloat;
        if (body.ContainsKey("number"))
        {
            number = RequestLimits.FiniteFloat(ToFloat(body["number"]), "number");
            numberIsFloat = true;
        }
        else
        {
            number = queue.NextNumber(ComfyRequest.IsTruthy(body["front"]));
            numberIsFloat = false;
        }
        if (!body.ContainsKey("prompt"))
        {
            return ComfyResults.Json(new JsonObject
            {
                ["error"] = Error("no_prompt", "No prompt provided", "No prompt provided"),
                ["node_errors"] = new JsonObject(),
            }, 400);
        }
        JsonObject prompt = body["prompt"] as JsonObject ?? throw new BadRequestBodyException("'prompt' must be an object.");
        string promptId = body.ContainsKey("prompt_id") ? PythonStr(body["prompt_id"]) : Guid.NewGuid().ToString();
        IReadOnlyList<string>? targets = body["partial_execution_targets"] is JsonArray t
            ? t.Select(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : PythonStr(x)).ToList()
            : null;
        body.Remove("prompt");
        CheckFieldTypes(body);
        if (body["extra_data"] is JsonObject submittedExtra)
        {
            CheckExtraData(submittedExtra);
        }
        if (ApiKeyAuthentication.PreparePrompt(request.HttpContext, body, prompt) is IResult refused)
        {
            return refused;
        }
        PromptValidation validation = await checker.ValidateAsync(prompt, targets, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (!validation.IsValid)
        {
            return ComfyResults.Json(new JsonObject
            {
                ["error"] = validation.Error?.DeepClone(),
                ["node_errors"] = validation.NodeErrors.DeepClone(),
            }, 400);
        }
        if (ScaleOut.ClusterAdmission.Of(request.HttpContext) is { } admission
            && await admission.CheckAsync(prompt, body["extra_data"] as JsonObject, request.HttpContext.RequestAborted).ConfigureAwait(false) is { } refusal)
        {
            return ComfyResults.Json(new JsonObject { ["error"] = refusal, ["node_errors"] = new JsonObject() }, 400);
        }
        JsonObject extraData = body["extra_data"] as JsonObject ?? new JsonObject();
        body.Remove("extra_data");
        if (body.ContainsKey("client_id"))
        {
            extraData["client_id"] = body["client_id"]?.DeepClone();
        }
        JsonObject? sensitive = null;
        foreach (string key in SensitiveKeys)
        {
            if (extraData.ContainsKey(key))
            {
                sensitive ??= new JsonObject();
                sensitive[key] = extraData[key]?.DeepClone();
                extraData.Remove(key);
            }
        }
        extraData["create_time"] = Messages.NowMilliseconds();
        Materialize(prompt);
        Materialize(extraData);
        // ?wait=SECONDS (a ComfySharp extension): listen before queueing so a fast prompt cannot finish unseen.
        Task? finished = PromptWaiting.Seconds(request) is not null ? request.HttpContext.RequestServices.GetRequiredService<PromptEvents>().WhenFinished(promptId) : null;
        queue.Enqueue(new QueuedPrompt(number, numberIsFloat, promptId, prompt, extraData, validation.OutputsToExecute, sensitive));
        var answer = new JsonObject
        {
            ["prompt_id"] = promptId,
            ["number"] = numberIsFloat ? JsonValue.Create(number) : JsonValue.Create((long)number),
            ["node_errors"] = validation.NodeErrors.DeepClone(),
        };
        return finished is null ? ComfyResults.Json(answer) : await PromptWaiting.AnswerAsync(request, finished, promptId, answer).ConfigureAwait(false);
    }

    // Fields whose type the queue, the history and the jobs API rely on; the reference lets anything in and
    // fails later (or stores what /api/jobs cannot summarise), so refuse them at the door instead.
    private static void CheckFieldTypes(JsonObject body)
    {
        if (body["extra_data"] is not (null or JsonObject) && body["extra_data"]!.GetValueKind() != JsonValueKind.Null)
        {
            throw new RequestRejectedException("'extra_data' must be an object.");
        }
        if (body["client_id"] is JsonNode clientId && clientId.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null))
        {
            throw new RequestRejectedException("'client_id' must be a string.");
        }
        if (body["prompt_id"] is JsonNode promptId && promptId.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array)
        {
            throw new RequestRejectedException("'prompt_id' must be a string.");
        }
        if (body["partial_execution_targets"] is JsonNode targets && targets.GetValueKind() is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            throw new RequestRejectedException("'partial_execution_targets' must be a list of node ids.");
        }
    }

    private static void CheckExtraData(JsonObject extraData)
    {
        if (extraData["extra_pnginfo"] is JsonNode pngInfo && pngInfo.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            throw new RequestRejectedException("'extra_data.extra_pnginfo' must be an object.");
        }
        if (extraData["client_id"] is JsonNode clientId && clientId.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null))
        {
            throw new RequestRejectedException("'extra_data.client_id' must be a string.");
        }
    }

    internal static JsonObject Error(string type, string message, string details) => new()
    {
        ["type"] = type,
        ["message"] = message,
        ["details"] = details,
        ["extra_info"] = new JsonObject(),
    };

    // Python's float(x): numbers and numeric strings; anything else is refused (400; the reference fails with 500).
    private static double ToFloat(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
        JsonValue v when v.GetValueKind() == JsonValueKind.String
            && double.TryParse(v.GetValue<string>().Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double parsed) => parsed,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => 1,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => 0,
        _ => throw new BadRequestBodyException("'number' must be a number."),
    };

    // Python's str(x) for JSON values.
    private static string PythonStr(JsonNode? node) => node switch
    {
        null => "None",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
        _ => PythonJson.Serialize(node),
    };

    // JsonNode materialises children lazily; force it now so the worker and readers never race on first access.
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    Materialize(child);
                }
                break;
            case JsonArray a:
                foreach (JsonNode? child in a)
                {
                    Materialize(child);
                }
                break;
        }
    }
}
