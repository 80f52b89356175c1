using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using Microsoft.AspNetCore.Http;

namespace ComfySharp.Server.Http;

/// <summary>The reply kinds of API.md §0.2, with the reference's content types.</summary>
public static class ComfyResults
{
    /// <summary>JSON in the reference's text form, <c>application/json; charset=utf-8</c>.</summary>
    public static IResult Json(JsonNode? body, int status = StatusCodes.Status200OK) => new BytesResult(PythonJson.SerializeToUtf8(body), "application/json; charset=utf-8", status);

    /// <summary>A bare reply: <c>application/octet-stream</c>, no body.</summary>
    public static IResult Empty(int status = StatusCodes.Status200OK) => new BytesResult([], "application/octet-stream", status);

    /// <summary>A plain-text reply.</summary>
    public static IResult Text(string text, int status = StatusCodes.Status200OK) => new BytesResult(Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8", status);

    /// <summary>Arbitrary bytes.</summary>
    public static IResult Bytes(byte[] body, string contentType, int status = StatusCodes.Status200OK) => new BytesResult(body, contentType, status);

    private sealed class BytesResult(byte[] body, string contentType, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            HttpResponse response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            if (body.Length > 0 && !HttpMethods.IsHead(httpContext.Request.Method))
            {
                await response.Body.WriteAsync(body, httpContext.RequestAborted).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Request helpers that fail the way the reference fails (an exception, hence 500).</summary>
public static class ComfyRequest
{
    /// <summary>Parses the body as JSON; invalid or empty bodies throw (500); bodies outside <see cref="RequestLimits"/> are refused (400).</summary>
    public static async Task<JsonNode?> ReadJsonAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Sized from Content-Length when it is plausible (Kestrel enforces the real limit) and parsed in place, without a copy.
        using var ms = new MemoryStream(request.ContentLength is > 0 and <= 1024 * 1024 and var length ? (int)length : 0);
        await request.Body.CopyToAsync(ms, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return RequestLimits.Parse(ms.GetBuffer().AsSpan(0, (int)ms.Length));
    }

    /// <summary>Parses the body as a JSON object, or throws.</summary>
    public static async Task<JsonObject> ReadJsonObjectAsync(HttpRequest request) =>
        await ReadJsonAsync(request).ConfigureAwait(false) as JsonObject
        ?? throw new BadRequestBodyException("The body must be a JSON object.");

    /// <summary>The body as JSON, or null when absent or invalid (for routes where the body is optional).</summary>
    public static async Task<JsonNode?> TryReadJsonAsync(HttpRequest request)
    {
        try
        {
            return await ReadJsonAsync(request).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Python's <c>int(text)</c>: surrounding blanks and a sign allowed; anything else throws (500).</summary>
    public static int? ParseIntQuery(HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? raw = request.Query[name];
        if (raw is null)
        {
            return null;
        }
        return int.Parse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>Python truthiness of a JSON value.</summary>
    public static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonObject o => o.Count > 0,
        JsonArray a => a.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.String => v.GetValue<string>().Length > 0,
            System.Text.Json.JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) != 0,
            _ => false,
        },
        _ => false,
    };
}

/// <summary>A body that the handler cannot use: 400 with the spec's error shape (the reference fails with 500).</summary>
public sealed class BadRequestBodyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BadRequestBodyException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BadRequestBodyException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public BadRequestBodyException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
