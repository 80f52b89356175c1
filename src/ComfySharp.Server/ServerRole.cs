namespace ComfySharp.Server;

/// <summary>What this process does in a deployment (<c>--role</c>, docs/scale-out.md).</summary>
public enum ServerRole
{
    /// <summary>Everything in one process (the default; the queue is this process's own).</summary>
    All,
    /// <summary>Accepts and validates prompts, serves <c>/ws</c>, <c>/history</c>, <c>/view</c>; runs nothing (PostgreSQL only).</summary>
    Api,
    /// <summary>Claims prompts from the shared queue and runs them; its events reach clients through the API nodes (PostgreSQL only).</summary>
    Worker,
}
