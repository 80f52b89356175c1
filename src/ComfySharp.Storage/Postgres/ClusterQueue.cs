using ComfySharp.Engine;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>A prompt of the shared queue as an API node shows it.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Worker">The worker running it; null while pending.</param>
public sealed record ClusterQueueItem(QueuedPrompt Prompt, string? Worker);

/// <summary>
/// The whole deployment's queue as every API node sees it (<c>/queue</c>, <c>/interrupt</c>, cancel):
/// read from and changed in the database, whichever node accepted the prompt, with interrupts relayed
/// to the worker running the prompt (<see cref="ControlMessage"/>).
/// </summary>
/// <param name="dataSource">Pooled connections to the shared database.</param>
public sealed class ClusterQueue(NpgsqlDataSource dataSource)
{
    /// <summary>Running prompts (oldest claim first) with their workers, and pending prompts in the order workers claim them.</summary>
    public async Task<(IReadOnlyList<ClusterQueueItem> Running, IReadOnlyList<ClusterQueueItem> Pending)> SnapshotAsync(CancellationToken cancellationToken)
    {
        var running = new List<ClusterQueueItem>();
        var pending = new List<ClusterQueueItem>();
        await using NpgsqlCommand command = dataSource.CreateCommand(
            $"SELECT {QueueRows.Columns}, state, worker FROM queue ORDER BY priority DESC, number, seq;");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (QueueRows.Read(reader) is not QueuedPrompt prompt)
            {
                continue;
            }
            if (reader.GetString(7) == "running")
            {
                running.Add(new ClusterQueueItem(prompt, reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
            else
            {
                pending.Add(new ClusterQueueItem(prompt, null));
            }
        }
        return (running, pending);
    }

    /// <summary>Pending plus running prompts of the whole deployment.</summary>
    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT count(*) FROM queue;");
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The prompt with this id, pending or running (with its worker); null when not queued.</summary>
    public async Task<ClusterQueueItem?> FindAsync(string promptId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand($"SELECT {QueueRows.Columns}, state, worker FROM queue WHERE prompt_id = $1 ORDER BY seq LIMIT 1;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = promptId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || QueueRows.Read(reader) is not QueuedPrompt prompt)
        {
            return null;
        }
        return new ClusterQueueItem(prompt, reader.GetString(7) == "running" && !reader.IsDBNull(8) ? reader.GetString(8) : null);
    }

    /// <summary>
    /// Removes a pending prompt, whichever API node accepted it (every node is told, on
    /// <see cref="PostgresWorkQueue.ClaimedChannel"/>, that it is no longer pending). False when it is not pending.
    /// </summary>
    public async Task<bool> DeletePendingAsync(string promptId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "WITH gone AS (DELETE FROM queue WHERE prompt_id = $1 AND state = 'pending' RETURNING prompt_id) " +
            $"SELECT pg_notify('{PostgresWorkQueue.ClaimedChannel}', prompt_id)::text FROM gone;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = promptId });
        int removed = 0;
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            removed++;
        }
        return removed > 0;
    }

    /// <summary>Removes every pending prompt of the deployment; returns how many.</summary>
    public async Task<int> ClearPendingAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "WITH gone AS (DELETE FROM queue WHERE state = 'pending' RETURNING prompt_id) " +
            $"SELECT pg_notify('{PostgresWorkQueue.ClaimedChannel}', prompt_id)::text FROM gone;");
        int removed = 0;
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            removed++;
        }
        return removed;
    }

    /// <summary>Tells the workers to interrupt <paramref name="promptId"/> (null: every running prompt).</summary>
    public async Task InterruptAsync(string? promptId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand($"SELECT pg_notify('{ControlMessage.Channel}', $1)::text;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = new ControlMessage(ControlMessage.Interrupt, promptId).Serialize() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
