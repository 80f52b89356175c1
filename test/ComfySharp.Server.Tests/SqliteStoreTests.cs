using ComfySharp.Protocol;
using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Storage;
using ComfySharp.TestKit;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>The SQLite store's durability points, read back through a second, independent connection.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory("comfysharp-sqlite");

    private string DatabasePath => Path.Combine(_directory, "comfysharp.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void An_accepted_prompt_is_in_the_file_when_AddPending_returns()
    {
        using var store = new SqlitePromptStore(DatabasePath);
        store.AddPending(Entry(1, "a"));
        Assert.Equal(["a:pending"], ReadQueue());
    }

    [Fact]
    public void Background_changes_land_in_order_and_Dispose_writes_what_is_left()
    {
        var store = new SqlitePromptStore(DatabasePath);
        store.AddPending(Entry(1, "a"));
        store.AddPending(Entry(2, "b"));
        store.MarkRunning(1);
        store.PutHistory("a", PythonJson.SerializeToUtf8(new JsonObject { ["outputs"] = new JsonObject(), ["n"] = 1 }));
        store.RemoveQueued(1);
        store.PutHistory("a", PythonJson.SerializeToUtf8(new JsonObject { ["outputs"] = new JsonObject(), ["n"] = 2 }));
        store.PutHistory("b", PythonJson.SerializeToUtf8(new JsonObject { ["n"] = 3 }));
        store.DeleteHistory("b");
        store.Dispose();
        Assert.Equal(["b:pending"], ReadQueue());
        using var reopened = new SqlitePromptStore(DatabasePath);
        var history = reopened.LoadHistory();
        Assert.Equal(["a"], history.Select(h => h.PromptId));
        Assert.Equal(2, (int)PythonJson.Parse(history[0].EntryJson)!["n"]!);
    }

    [Fact]
    public void Flush_is_a_durability_point_for_background_changes()
    {
        using var store = new SqlitePromptStore(DatabasePath);
        store.AddPending(Entry(1, "a"));
        store.MarkRunning(1);
        store.Flush();
        Assert.Equal(["a:running"], ReadQueue());
        store.ClearHistory();
        store.RemoveQueued(1);
        store.Flush();
        Assert.Empty(ReadQueue());
    }

    [Fact]
    public async Task Concurrent_submissions_share_commits_and_all_land()
    {
        using (var store = new SqlitePromptStore(DatabasePath))
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(c => Task.Run(() =>
            {
                for (int i = 0; i < 50; i++)
                {
                    long sequence = (c * 1000) + i + 1;
                    store.AddPending(Entry(sequence, $"p{sequence}"));
                    store.MarkRunning(sequence);
                    store.PutHistory($"p{sequence}", PythonJson.SerializeToUtf8(new JsonObject { ["i"] = i }));
                    store.RemoveQueued(sequence);
                }
            })));
            var (pending, running) = store.LoadQueue();
            Assert.Empty(pending);
            Assert.Empty(running);
        }
        using var reopened = new SqlitePromptStore(DatabasePath);
        Assert.Equal(16 * 50, reopened.LoadHistory().Count);
    }

    private static QueueEntry Entry(long sequence, string id) =>
        new(sequence, new QueuedPrompt(sequence, false, id, new JsonObject { ["1"] = new JsonObject { ["class_type"] = "X", ["inputs"] = new JsonObject() } }, new JsonObject(), ["1"]));

    private List<string> ReadQueue()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT prompt_id, state FROM queue ORDER BY seq;";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add($"{reader.GetString(0)}:{reader.GetString(1)}");
        }
        return rows;
    }
}
