namespace ComfySharp.Server.Service;

/// <summary>The caller a request was authenticated as (only with authentication on).</summary>
/// <param name="UserId">The user's row id.</param>
/// <param name="Name">The user name (also the owner tag of their prompts and their output subfolder).</param>
/// <param name="IsAdmin">Admins see and manage every user's work.</param>
/// <param name="KeyId">The API key's row id.</param>
/// <param name="MaxPending">At most this many prompts pending or running at once; null = no limit.</param>
/// <param name="PerMinute">At most this many accepted prompts per minute; null = no limit.</param>
/// <param name="WebhookSecret">The key's webhook signing secret (<c>whsec_…</c>).</param>
public sealed record ServiceUser(long UserId, string Name, bool IsAdmin, long KeyId, int? MaxPending, int? PerMinute, string? WebhookSecret)
{
    /// <summary>The folder under <c>output/</c> (and <c>user/</c>) holding this user's files.</summary>
    public string Folder => "u_" + Name;

    private static readonly object ItemKey = new();

    /// <summary>The authenticated user of a request, or null when authentication is off.</summary>
    public static ServiceUser? Of(Microsoft.AspNetCore.Http.HttpContext context) =>
        context?.Items.TryGetValue(ItemKey, out object? u) == true ? u as ServiceUser : null;

    private static readonly AsyncLocal<ServiceUser?> Ambient = new();

    /// <summary>
    /// The user of the request being handled on this async flow (for code that is handed no
    /// <c>HttpContext</c>, such as the <c>/userdata</c> folder lookup); null with authentication off.
    /// </summary>
    public static ServiceUser? Current => Ambient.Value;

    /// <summary>Records the authenticated user on a request and its async flow.</summary>
    internal static void Set(Microsoft.AspNetCore.Http.HttpContext context, ServiceUser user)
    {
        context.Items[ItemKey] = user;
        Ambient.Value = user;
    }
}
