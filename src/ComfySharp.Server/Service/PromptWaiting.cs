using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Service;

/// <summary><c>POST /prompt?wait=SECONDS</c>: answer when the prompt ends, for callers that cannot listen for events.</summary>
internal static class PromptWaiting
{
    /// <summary>The longest wait honoured.</summary>
    public const int MaxSeconds = 3600;

    /// <summary>The requested wait, or null when the query has no usable <c>wait</c>.</summary>
    public static double? Seconds(HttpRequest request) =>
        double.TryParse(request.Query["wait"].ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && double.IsFinite(s)
            ? Math.Min(s, MaxSeconds) : null;

    /// <summary>200 with the usual answer plus <c>history</c> (the entry) once finished; 202 with the usual answer when the wait ran out.</summary>
    public static async Task<IResult> AnswerAsync(HttpRequest request, Task finished, string promptId, JsonObject answer)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(Seconds(request)!.Value));
        try
        {
            await finished.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ComfyResults.Json(answer, StatusCodes.Status202Accepted);
        }
        answer["history"] = request.HttpContext.RequestServices.GetRequiredService<PromptHistory>().Get(promptId);
        return ComfyResults.Json(answer);
    }
}
