namespace ComfySharp.Storage.Postgres;

/// <summary>History statements shared by the prompt store and the workers.</summary>
internal static class HistorySql
{
    /// <summary>Inserts entry <c>$2</c> for prompt <c>$1</c>, or replaces it keeping its position.</summary>
    public const string Upsert =
        "INSERT INTO history(prompt_id, entry) VALUES ($1, $2) ON CONFLICT (prompt_id) DO UPDATE SET entry = excluded.entry;";

    /// <summary><see cref="Upsert"/>, and API nodes told the prompt id (one statement: positional parameters allow no more).</summary>
    public const string UpsertAndNotify =
        "WITH stored AS (INSERT INTO history(prompt_id, entry) VALUES ($1, $2) ON CONFLICT (prompt_id) DO UPDATE SET entry = excluded.entry RETURNING prompt_id) " +
        "SELECT pg_notify('" + Channel + "', prompt_id)::text FROM stored;";

    /// <summary>The NOTIFY channel told the prompt id of every history entry a worker stored.</summary>
    public const string Channel = "comfysharp_history";
}
