using System.Text.Json.Serialization;

namespace ComfySharp.Protocol;

/// <summary>Reply of <c>POST /upload/image</c> and <c>/upload/mask</c>.</summary>
/// <param name="Name">Stored file name.</param>
/// <param name="Subfolder">The submitted subfolder, echoed unchanged.</param>
/// <param name="Type">Effective directory type.</param>
public sealed record UploadResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("subfolder")] string Subfolder,
    [property: JsonPropertyName("type")] string Type);

/// <summary>One image reference inside a node's UI output (<c>{"filename", "subfolder", "type"}</c>).</summary>
/// <param name="Filename">File name.</param>
/// <param name="Subfolder">Sub-directory.</param>
/// <param name="Type">Directory type.</param>
public sealed record ImageRef(
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("subfolder")] string Subfolder,
    [property: JsonPropertyName("type")] string Type);

/// <summary>Pagination block of <c>GET /api/jobs</c>.</summary>
/// <param name="Offset">Skipped jobs.</param>
/// <param name="Limit">Requested limit or null.</param>
/// <param name="Total">Jobs after filtering.</param>
/// <param name="HasMore">More jobs beyond this page.</param>
public sealed record Pagination(
    [property: JsonPropertyName("offset")] int Offset,
    [property: JsonPropertyName("limit")] int? Limit,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("has_more")] bool HasMore);

/// <summary>Source-generated metadata for the typed wire records.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(UploadResult))]
[JsonSerializable(typeof(ImageRef))]
[JsonSerializable(typeof(Pagination))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
