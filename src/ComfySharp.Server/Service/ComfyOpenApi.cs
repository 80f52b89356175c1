using System.Collections.Frozen;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ComfySharp.Server.Service;

/// <summary>
/// Fills in what the generator cannot see in the ComfyUI routes (their handlers read and write JSON
/// by hand to keep the reference's exact bytes): summaries, and request and response schemas for the
/// routes clients use most; every other ComfyUI route is described as a JSON object.
/// </summary>
internal static class ComfyOpenApi
{
    private static readonly FrozenDictionary<string, (string Summary, Func<OpenApiSchema>? Request, Func<OpenApiSchema>? Response)> Known = new Dictionary<string, (string Summary, Func<OpenApiSchema>? Request, Func<OpenApiSchema>? Response)>(StringComparer.Ordinal)
    {
        ["POST prompt"] = ("Queue a prompt (API graph); ?wait=SECONDS answers with its history entry when it ends.", PromptRequest, PromptResponse),
        ["GET prompt"] = ("Queue size.", null, () => Obj(("exec_info", Obj(("queue_remaining", Int()))))),
        ["GET queue"] = ("Running and pending queue items.", null, () => Obj(("queue_running", Arr(Arr(Any()))), ("queue_pending", Arr(Arr(Any()))), ("queue_paused", Bool()))),
        ["POST queue"] = ("Clear the queue or delete pending items.", () => Obj(("clear", Bool()), ("delete", Arr(Str()))), null),
        ["GET history"] = ("Finished prompts by id.", null, () => Map(HistoryEntry())),
        ["GET history/{prompt_id}"] = ("One finished prompt.", null, () => Map(HistoryEntry())),
        ["POST history"] = ("Clear history or delete entries.", () => Obj(("clear", Bool()), ("delete", Arr(Str()))), null),
        ["POST interrupt"] = ("Interrupt the running prompt (optionally only if it is prompt_id).", () => Obj(("prompt_id", Str())), null),
        ["POST free"] = ("Unload models and/or free memory after the current prompt.", () => Obj(("unload_models", Bool()), ("free_memory", Bool())), null),
        ["GET object_info"] = ("Every node class's schema.", null, () => Map(Any())),
        ["GET system_stats"] = ("System and device information.", null, () => Obj(("system", Any()), ("devices", Arr(Any())))),
        ["GET view"] = ("Download an output, input or temp file (?filename=&subfolder=&type=).", null, null),
        ["POST upload/image"] = ("Upload an image (multipart: image, overwrite, type, subfolder).", null, () => Obj(("name", Str()), ("subfolder", Str()), ("type", Str()))),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "ComfySharp",
            Version = typeof(ComfyOpenApi).Assembly.GetName().Version?.ToString() ?? "1",
            Description = "The ComfyUI server API (every route is also served under /api) plus ComfySharp's service routes. "
                + "With authentication on, send `Authorization: Bearer KEY` (or `?token=KEY`).",
        };
        return Task.CompletedTask;
    }

    public static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        string path = context.Description.RelativePath ?? "";
        string bare = path.StartsWith("api/", StringComparison.Ordinal) ? path[4..] : path;
        string method = context.Description.HttpMethod ?? "GET";
        if (Known.TryGetValue($"{method} {bare}", out var known) || (method == "HEAD" && Known.TryGetValue($"GET {bare}", out known)))
        {
            operation.Summary ??= known.Summary;
            if (known.Request is not null && operation.RequestBody is null)
            {
                operation.RequestBody = new OpenApiRequestBody { Required = true, Content = Json(known.Request()) };
            }
            if (known.Response is not null)
            {
                operation.Responses ??= [];
                operation.Responses["200"] = new OpenApiResponse { Description = "OK", Content = Json(known.Response()) };
            }
        }
        operation.Responses ??= [];
        if (operation.Responses.Count == 0)
        {
            operation.Responses["200"] = new OpenApiResponse { Description = "OK", Content = Json(Any()) };
        }
        if (operation.RequestBody is null && method is "POST" && !bare.StartsWith("upload", StringComparison.Ordinal) && context.Description.ParameterDescriptions.All(p => p.Source.Id != "Body"))
        {
            operation.RequestBody = new OpenApiRequestBody { Required = false, Content = Json(Any()) };
        }
        return Task.CompletedTask;
    }

    private static Dictionary<string, OpenApiMediaType> Json(OpenApiSchema schema) => new(StringComparer.Ordinal) { ["application/json"] = new OpenApiMediaType { Schema = schema } };

    private static OpenApiSchema PromptRequest() => Obj(
        ("prompt", Map(Obj(("class_type", Str()), ("inputs", Map(Any()))))),
        ("client_id", Str()), ("prompt_id", Str()), ("number", Num()), ("front", Bool()),
        ("extra_data", Obj(("priority", Num()), ("webhook", Str()))),
        ("partial_execution_targets", Arr(Str())));

    private static OpenApiSchema PromptResponse() => Obj(("prompt_id", Str()), ("number", Num()), ("node_errors", Map(Any())));

    private static OpenApiSchema HistoryEntry() => Obj(("prompt", Arr(Any())), ("outputs", Map(Any())), ("status", Any()), ("meta", Map(Any())));

    private static OpenApiSchema Obj(params (string Name, OpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = properties.ToDictionary(p => p.Name, p => (IOpenApiSchema)p.Schema, StringComparer.Ordinal),
    };

    private static OpenApiSchema Map(OpenApiSchema values) => new() { Type = JsonSchemaType.Object, AdditionalProperties = values };

    private static OpenApiSchema Arr(OpenApiSchema items) => new() { Type = JsonSchemaType.Array, Items = items };

    private static OpenApiSchema Str() => new() { Type = JsonSchemaType.String };

    private static OpenApiSchema Num() => new() { Type = JsonSchemaType.Number };

    private static OpenApiSchema Int() => new() { Type = JsonSchemaType.Integer };

    private static OpenApiSchema Bool() => new() { Type = JsonSchemaType.Boolean };

    private static OpenApiSchema Any() => new() { Type = JsonSchemaType.Object };
}
