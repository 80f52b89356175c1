using System.Text;
using ComfySharp.Engine;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// The worker side of the shared queue: claim the next prompt (<c>FOR UPDATE SKIP LOCKED</c>, highest
/// priority, then smallest number, then oldest), renew the lease, complete it exactly once, and take back
/// prompts whose worker stopped renewing.
/// </summary>
/// <remarks>
/// A lease is the triple (row, worker, attempt). Completion deletes the row only while that triple still
/// holds, in the transaction that stores the history entry: a worker that lost its lease (stalled past
/// it, then came back) cannot record a second result for a prompt another worker took over.
/// </remarks>
/// <param name="dataSource">Pooled connections to the shared database.</param>
/// <param name="workerId">This worker's name, unique among live workers.</param>
public sealed class PostgresWorkQueue(NpgsqlDataSource dataSource, string workerId)
{
    /// <summary>The NOTIFY channel told the prompt id of every claimed prompt (API nodes drop it from their pending view).</summary>
    public const string ClaimedChannel = "comfysharp_claimed";

    // $1 worker, $2 lease seconds, $3 this worker's tags, $4 the model files it has loaded, $5 affinity
    // wait seconds, $6 how recently another worker must have beaten to count as live. A prompt is taken
    // only when this worker has all its tags. Within a priority, prompts whose models are all loaded
    // here (or that waited longer than the affinity wait) come first; a prompt whose models another
    // live, idle worker with the prompt's tags has loaded is left to that worker for the affinity wait.
    private const string ClaimSql =
        "WITH next AS (SELECT q.seq FROM queue q WHERE q.state = 'pending' AND q.worker_tags <@ $3::text[] " +
        "AND NOT (cardinality(q.models) > 0 AND NOT q.models <@ $4::text[] AND q.queued_at > clock_timestamp() - make_interval(secs => $5) " +
        "AND EXISTS (SELECT 1 FROM workers w WHERE w.id <> $1 AND w.running IS NULL AND w.seen > clock_timestamp() - make_interval(secs => $6) " +
        "AND q.models <@ w.loaded_models AND q.worker_tags <@ w.tags)) " +
        "ORDER BY q.priority DESC, ((cardinality(q.models) > 0 AND q.models <@ $4::text[]) OR q.queued_at <= clock_timestamp() - make_interval(secs => $5)) DESC, " +
        "q.number, q.seq FOR UPDATE OF q SKIP LOCKED LIMIT 1), " +
        "claimed AS (UPDATE queue q SET state = 'running', worker = $1, lease_until = now() + make_interval(secs => $2), attempts = q.attempts + 1 " +
        "FROM next WHERE q.seq = next.seq RETURNING q.seq, q.number, q.number_is_float, q.prompt_id, q.prompt, q.extra_data, q.outputs, q.attempts, " +
        "extract(epoch FROM clock_timestamp() - q.queued_at) * 1000 AS waited_ms), " +
        "busy AS (UPDATE workers SET running = claimed.prompt_id, running_since = clock_timestamp() FROM claimed WHERE workers.id = $1) " +
        $"SELECT claimed.*, pg_notify('{ClaimedChannel}', claimed.prompt_id)::text FROM claimed;";

    /// <summary>This worker's name.</summary>
    public string WorkerId => workerId;

    /// <summary>Takes the next pending prompt under a lease of <paramref name="lease"/>; null when none is pending.</summary>
    public Task<ClaimedPrompt?> ClaimAsync(TimeSpan lease, CancellationToken cancellationToken) => ClaimAsync(lease, ClaimPreferences.None, cancellationToken);

    /// <summary>
    /// Takes the next pending prompt this worker may run (its tags) under a lease of <paramref name="lease"/>,
    /// preferring prompts whose models it has loaded (see <see cref="ClaimPreferences"/>); null when none.
    /// </summary>
    public async Task<ClaimedPrompt?> ClaimAsync(TimeSpan lease, ClaimPreferences preferences, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        while (true)
        {
            await using NpgsqlCommand command = dataSource.CreateCommand(ClaimSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
            command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = lease.TotalSeconds });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. preferences.Tags] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. preferences.LoadedModels] });
            command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = preferences.AffinityWait.TotalSeconds });
            command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = preferences.LiveWithin.TotalSeconds });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            long sequence = reader.GetInt64(0);
            int attempt = reader.GetInt32(7);
            if (QueueRows.Read(reader) is QueuedPrompt prompt)
            {
                return new ClaimedPrompt(sequence, attempt, prompt) { WaitedMilliseconds = Convert.ToDouble(reader.GetValue(8), System.Globalization.CultureInfo.InvariantCulture) };
            }
            // Unreadable: drop the row so it does not block the queue for every worker, and take the next.
            await reader.DisposeAsync().ConfigureAwait(false);
            await ExecuteAsync("DELETE FROM queue WHERE seq = $1;", cancellationToken, sequence).ConfigureAwait(false);
        }
    }

    /// <summary>Renews the lease; false when it was lost (the prompt was taken back): the caller must stop running it.</summary>
    public async Task<bool> RenewAsync(ClaimedPrompt claim, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        int rows = await ExecuteAsync(
            "UPDATE queue SET lease_until = now() + make_interval(secs => $4) WHERE seq = $1 AND worker = $2 AND attempts = $3 AND state = 'running';",
            cancellationToken, claim.Sequence, workerId, claim.Attempt, lease.TotalSeconds).ConfigureAwait(false);
        return rows == 1;
    }

    /// <summary>
    /// Stores the history entry and removes the row, in one transaction, if the lease still holds; then
    /// notifies API nodes. False (nothing stored) when the lease was lost.
    /// </summary>
    public async Task<bool> CompleteAsync(ClaimedPrompt claim, byte[] entryJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(entryJson);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var delete = new NpgsqlCommand("DELETE FROM queue WHERE seq = $1 AND worker = $2 AND attempts = $3 AND state = 'running';", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = claim.Sequence });
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
            delete.Parameters.Add(new NpgsqlParameter<int> { TypedValue = claim.Attempt });
            if (await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
        }
        await StoreHistoryAsync(connection, transaction, claim.Prompt.PromptId, entryJson, cancellationToken).ConfigureAwait(false);
        await using (var idle = new NpgsqlCommand("UPDATE workers SET running = NULL, running_since = NULL, completed = completed + 1 WHERE id = $1;", connection, transaction))
        {
            idle.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
            await idle.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Takes back every prompt whose lease expired: one with fewer than <paramref name="maxAttempts"/>
    /// attempts goes back to the queue (its place kept: same priority and number); the others are recorded
    /// in history with the entry <paramref name="failureEntry"/> builds from the prompt and the reason.
    /// Safe to run from every process at once (rows are locked with <c>SKIP LOCKED</c>).
    /// </summary>
    public async Task<IReadOnlyList<LostPrompt>> ReapExpiredAsync(int maxAttempts, Func<QueuedPrompt, string, byte[]> failureEntry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failureEntry);
        var lost = new List<LostPrompt>();
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var expired = new List<(long Sequence, QueuedPrompt Prompt, string Worker, int Attempts)>();
        await using (var select = new NpgsqlCommand(
            $"SELECT {QueueRows.Columns}, worker, attempts FROM queue WHERE state = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED;", connection, transaction))
        await using (NpgsqlDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (QueueRows.Read(reader) is QueuedPrompt prompt)
                {
                    expired.Add((reader.GetInt64(0), prompt, reader.IsDBNull(7) ? "?" : reader.GetString(7), reader.GetInt32(8)));
                }
            }
        }
        foreach (var (sequence, prompt, worker, attempts) in expired)
        {
            string reason = $"The worker '{worker}' running this prompt stopped renewing its lease (it died or lost the database) on attempt {attempts} of {maxAttempts}.";
            if (attempts < maxAttempts)
            {
                await using var requeue = new NpgsqlCommand(
                    "WITH requeued AS (UPDATE queue SET state = 'pending', worker = NULL, lease_until = NULL, last_error = $2 WHERE seq = $1 RETURNING seq) " +
                    $"SELECT pg_notify('{PostgresPromptStore.QueueChannel}', seq::text)::text FROM requeued;", connection, transaction);
                requeue.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
                requeue.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
                await requeue.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                lost.Add(new LostPrompt(prompt, worker, attempts, Requeued: true));
            }
            else
            {
                await using (var delete = new NpgsqlCommand("DELETE FROM queue WHERE seq = $1;", connection, transaction))
                {
                    delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
                    await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await StoreHistoryAsync(connection, transaction, prompt.PromptId, failureEntry(prompt, reason), cancellationToken).ConfigureAwait(false);
                lost.Add(new LostPrompt(prompt, worker, attempts, Requeued: false));
            }
        }
        // Spilled events live only as long as an API node needs to fetch them.
        await using (var prune = new NpgsqlCommand("DELETE FROM events WHERE created < now() - interval '5 minutes';", connection, transaction))
        {
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return lost;
    }

    private static async Task StoreHistoryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string promptId, byte[] entryJson, CancellationToken cancellationToken)
    {
        await using var upsert = new NpgsqlCommand(HistorySql.UpsertAndNotify, connection, transaction);
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = promptId });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Encoding.UTF8.GetString(entryJson) });
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object[] arguments)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        foreach (object argument in arguments)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        }
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
