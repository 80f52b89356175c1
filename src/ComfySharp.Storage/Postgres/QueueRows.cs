using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Protocol;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>Reading and writing the columns of a <c>queue</c> row (shared by the prompt store and the workers).</summary>
internal static class QueueRows
{
    /// <summary>The columns <see cref="Read"/> expects first, in this order.</summary>
    public const string Columns = "seq, number, number_is_float, prompt_id, prompt, extra_data, outputs";

    /// <summary>The prompt of a row selected with <see cref="Columns"/> first; null when a stored text cannot be read.</summary>
    public static QueuedPrompt? Read(NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (Parse(reader.GetString(4)) is not JsonObject prompt
            || Parse(reader.GetString(5)) is not JsonObject extraData
            || Parse(reader.GetString(6)) is not JsonArray outputs
            || outputs.Any(o => o?.GetValueKind() != System.Text.Json.JsonValueKind.String))
        {
            return null;
        }
        return new QueuedPrompt(reader.GetDouble(1), reader.GetBoolean(2), reader.GetString(3), prompt, extraData,
            outputs.Select(n => (string)n!).ToList());
    }

    /// <summary>
    /// Adds the parameters <c>$1..$11</c> of an insert: seq, number, number_is_float, priority, prompt_id,
    /// client_id, prompt, extra_data, outputs, worker_tags, models (<see cref="PromptRouting"/>).
    /// </summary>
    public static void AddInsertParameters(NpgsqlCommand command, long sequence, double priority, QueuedPrompt p)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(p);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = p.Number });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = p.NumberIsFloat });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = priority });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = p.PromptId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)p.ClientId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PythonJson.Serialize(p.Prompt) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PythonJson.Serialize(p.ExtraData) });
        command.Parameters.Add(new NpgsqlParameter<string>
        {
            TypedValue = PythonJson.Serialize(new JsonArray(p.OutputsToExecute.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray())),
        });
        IReadOnlyList<string> tags;
        try
        {
            tags = PromptRouting.WorkerTags(p.ExtraData);
        }
        catch (FormatException)
        {
            // POST /prompt refuses such a prompt on an API node; a stored one runs anywhere rather than nowhere.
            tags = [];
        }
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. tags] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. PromptRouting.Models(p.Prompt)] });
    }

    private static JsonNode? Parse(string text) => PythonJson.ParseStored(System.Text.Encoding.UTF8.GetBytes(text));
}
