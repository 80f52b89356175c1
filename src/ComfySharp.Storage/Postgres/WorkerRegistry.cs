using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>What a worker reports about itself at each heartbeat.</summary>
/// <param name="Id">Its name (<c>--worker-id</c>).</param>
/// <param name="Tags">Its capability tags.</param>
/// <param name="LoadedModels">The model files it has loaded (<see cref="PromptRouting.ModelName"/>).</param>
/// <param name="NodeClasses">The node classes it offers (its <c>/object_info</c> keys).</param>
/// <param name="Running">The prompt it runs now, or null.</param>
/// <param name="RamTotal">Its machine's memory, bytes.</param>
/// <param name="RamFree">Free memory, bytes.</param>
public sealed record WorkerBeat(string Id, IReadOnlyList<string> Tags, IReadOnlyList<string> LoadedModels, IReadOnlyList<string> NodeClasses,
    string? Running, long RamTotal, long RamFree);

/// <summary>A worker as the registry holds it.</summary>
/// <param name="Beat">Its last report.</param>
/// <param name="Started">When it first reported.</param>
/// <param name="SecondsSinceSeen">Seconds since its last heartbeat (database clock).</param>
/// <param name="RunningSeconds">How long its current prompt has run; null when idle.</param>
/// <param name="Completed">Prompts it completed.</param>
public sealed record WorkerStatus(WorkerBeat Beat, DateTime Started, double SecondsSinceSeen, double? RunningSeconds, long Completed);

/// <summary>
/// The <c>workers</c> table: every worker upserts its row at each heartbeat (tags, loaded models, node
/// classes, current prompt, memory); API nodes read it for <c>/system_stats</c>, <c>/metrics</c> and
/// validation, and workers read it for model affinity (<see cref="PostgresWorkQueue"/>).
/// </summary>
/// <param name="dataSource">Pooled connections to the shared database.</param>
public sealed class WorkerRegistry(NpgsqlDataSource dataSource)
{
    /// <summary>Records a heartbeat (the row is created on the first).</summary>
    public async Task BeatAsync(WorkerBeat beat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(beat);
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "INSERT INTO workers(id, started, seen, running, running_since, tags, loaded_models, node_classes, ram_total, ram_free) " +
            "VALUES ($1, clock_timestamp(), clock_timestamp(), $2, CASE WHEN $2 IS NULL THEN NULL ELSE clock_timestamp() END, $3, $4, $5, $6, $7) " +
            "ON CONFLICT (id) DO UPDATE SET seen = clock_timestamp(), running = excluded.running, " +
            "running_since = CASE WHEN excluded.running IS NULL THEN NULL WHEN workers.running IS NOT DISTINCT FROM excluded.running THEN workers.running_since ELSE clock_timestamp() END, " +
            "tags = excluded.tags, loaded_models = excluded.loaded_models, node_classes = excluded.node_classes, ram_total = excluded.ram_total, ram_free = excluded.ram_free;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = beat.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)beat.Running ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. beat.Tags] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. beat.LoadedModels] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. beat.NodeClasses] });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beat.RamTotal });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beat.RamFree });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a worker's row (it stops cleanly).</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("DELETE FROM workers WHERE id = $1;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The workers that beat within <paramref name="liveWithin"/>, by name.</summary>
    public async Task<IReadOnlyList<WorkerStatus>> LiveAsync(TimeSpan liveWithin, CancellationToken cancellationToken)
    {
        var result = new List<WorkerStatus>();
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "SELECT id, tags, loaded_models, node_classes, running, ram_total, ram_free, started, " +
            "extract(epoch FROM clock_timestamp() - seen)::float8, extract(epoch FROM clock_timestamp() - running_since)::float8, completed " +
            "FROM workers WHERE seen > clock_timestamp() - make_interval(secs => $1) ORDER BY id;");
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = liveWithin.TotalSeconds });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var beat = new WorkerBeat(reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6));
            result.Add(new WorkerStatus(beat, reader.GetDateTime(7), reader.GetDouble(8), reader.IsDBNull(9) ? null : reader.GetDouble(9), reader.GetInt64(10)));
        }
        return result;
    }
}
