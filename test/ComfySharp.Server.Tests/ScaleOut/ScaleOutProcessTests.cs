using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Server.Tests.Storage;
using ComfySharp.Storage.Postgres;
using ComfySharp.TestKit;
using Npgsql;
using Xunit;

namespace ComfySharp.Server.Tests.ScaleOut;

/// <summary>
/// The scale-out deployment as real processes on a real PostgreSQL: 2 API nodes and 3 workers of the
/// built <c>comfysharp</c>, one shared output folder, 8 WebSocket clients; a worker and then an API node
/// are killed with SIGKILL mid-run.
/// </summary>
public sealed class ScaleOutProcessTests
{
    private const int Clients = 8;
    private const int PerClientPerPhase = 10;
    private const int Total = Clients * PerClientPerPhase * 2;

    [Fact]
    public async Task Every_prompt_finishes_exactly_once_through_a_worker_kill_and_an_api_node_kill()
    {
        using PostgresTestDatabase database = PostgresTestDatabase.Create();
        string root = TestPaths.NewTempDirectory("comfysharp-scaleout");
        string output = Path.Combine(root, "output");
        var nodes = new List<HostProcess>();
        var clients = new EventClient[Clients];
        try
        {
            string[] Flags(string name, string role) =>
            [
                "--base-directory", Path.Combine(root, name), "--output-directory", output, "--database", database.Url,
                "--role", role, "--test-nodes", "--cpu", "--lease-seconds", "3", "--retry", "once", "--worker-id", name,
            ];
            HostProcess[] started = await Task.WhenAll(
                HostProcess.StartAsync("api0", Flags("api0", "api")), HostProcess.StartAsync("api1", Flags("api1", "api")),
                HostProcess.StartAsync("w0", Flags("w0", "worker")), HostProcess.StartAsync("w1", Flags("w1", "worker")), HostProcess.StartAsync("w2", Flags("w2", "worker")));
            nodes.AddRange(started);
            HostProcess[] apis = [started[0], started[1]];
            HostProcess killedWorker = started[2];
            for (int c = 0; c < Clients; c++)
            {
                clients[c] = await EventClient.ConnectAsync(apis[c % 2].Address, $"client{c}");
            }
            var owner = new Dictionary<string, int>(StringComparer.Ordinal);
            var prefixOf = new Dictionary<string, string>(StringComparer.Ordinal);
            var phaseTwo = new HashSet<string>(StringComparer.Ordinal);

            // Phase 1: every client submits to its own API node.
            await SubmitAsync(c => apis[c % 2], phase: 1);
            await WaitForHistoryAsync(database, 20);
            killedWorker.Kill();
            await WaitForHistoryAsync(database, 50);
            apis[1].Kill();
            // The clients of the dead API node reconnect to the other one, under the same client id.
            for (int c = 1; c < Clients; c += 2)
            {
                await clients[c].DisposeAsync();
                clients[c] = await EventClient.ConnectAsync(apis[0].Address, $"client{c}");
            }
            // Phase 2: everyone goes through the surviving API node.
            await SubmitAsync(_ => apis[0], phase: 2);
            await WaitForHistoryAsync(database, Total, TimeSpan.FromSeconds(120));
            await Task.Delay(1000);

            // The killed worker held a prompt: its lease expired and a surviving process took it back.
            Assert.Contains(nodes.Where(n => n != killedWorker), n => n.Output.Contains("lost its worker 'w0'", StringComparison.Ordinal));

            // Exactly once in the database: one history row per prompt, nothing left queued.
            Assert.Equal(Total, await ScalarAsync(database, "SELECT count(DISTINCT prompt_id) FROM history;"));
            Assert.Equal(Total, await ScalarAsync(database, "SELECT count(*) FROM history;"));
            Assert.Equal(0, await ScalarAsync(database, "SELECT count(*) FROM queue;"));

            // The surviving API node serves every entry; each succeeded, or failed because its worker was lost.
            JsonObject history = (JsonObject)PythonJson.Parse(await apis[0].Http.GetStringAsync("history?max_items=100000"))!;
            Assert.Equal(owner.Keys.Order(StringComparer.Ordinal), history.Select(kv => kv.Key).Order(StringComparer.Ordinal));
            int duplicates = 0;
            foreach (var (id, entry) in history)
            {
                string status = (string)entry!["status"]!["status_str"]!;
                string[] files = Directory.GetFiles(output, prefixOf[id] + "_*.png");
                if (status == "success")
                {
                    string file = (string)entry["outputs"]!["3"]!["images"]![0]!["filename"]!;
                    Assert.True(File.Exists(Path.Combine(output, file)), $"{id}: {file} is missing");
                    Assert.NotEmpty(files);
                    duplicates += files.Length - 1;
                }
                else
                {
                    Assert.Contains(LeaseReaper.LostExceptionType, PythonJson.Serialize(entry["status"]), StringComparison.Ordinal);
                }
            }
            Assert.True(history.Count(kv => (string)kv.Value!["status"]!["status_str"]! == "success") >= Total - 2, "more prompts failed than the kills explain");
            // Only a prompt the killed worker had saved in the moment before it died can be saved twice.
            Assert.True(duplicates <= 1, $"{duplicates} duplicate output files");

            // Events: a client never disconnected hears every prompt of its own finish exactly once; a
            // reconnected client hears every prompt it queued after reconnecting; nobody hears another's prompts.
            for (int c = 0; c < Clients; c++)
            {
                Dictionary<string, int> finished = clients[c].Finished();
                IEnumerable<string> expected = owner.Where(kv => kv.Value == c && (c % 2 == 0 || phaseTwo.Contains(kv.Key))).Select(kv => kv.Key);
                foreach (string id in expected)
                {
                    Assert.True(finished.TryGetValue(id, out int times) && times == 1, $"client{c}: prompt {id} finished {times} time(s)");
                }
                int client = c;
                Assert.All(clients[c].Messages.Where(m => m.PromptId is not null), m => Assert.Equal(client, owner[m.PromptId!]));
                Assert.True(clients[c].Messages.Any(m => m.Type == "progress"),
                    $"client{c} got no progress: " + string.Join(", ", clients[c].Messages.GroupBy(m => m.Type).Select(g => $"{g.Key}×{g.Count()}")));
            }

            async Task SubmitAsync(Func<int, HostProcess> api, int phase)
            {
                await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
                {
                    for (int i = 0; i < PerClientPerPhase; i++)
                    {
                        string prefix = $"c{c}_ph{phase}_p{i}";
                        // A distinct duration per prompt, so no worker answers the sleep from its cache.
                        double seconds = 0.2 + (((phase * 1000) + (c * PerClientPerPhase) + i) * 1e-6);
                        string id = await PostAsync(api(c), clients[c].ClientId, prefix, seconds);
                        lock (owner)
                        {
                            owner[id] = c;
                            prefixOf[id] = prefix;
                            if (phase == 2)
                            {
                                phaseTwo.Add(id);
                            }
                        }
                    }
                }));
            }
        }
        catch (Exception) when (nodes.Count > 0)
        {
            foreach (HostProcess node in nodes)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"--- {node.Name} ---\n{node.Output}");
            }
            throw;
        }
        finally
        {
            foreach (EventClient? client in clients)
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }
            foreach (HostProcess node in nodes)
            {
                node.Dispose();
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> PostAsync(HostProcess api, string clientId, string prefix, double seconds)
    {
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "WHITE", ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 } },
            ["2"] = new JsonObject { ["class_type"] = "TestSleep", ["inputs"] = new JsonObject { ["value"] = new JsonArray("1", 0), ["seconds"] = seconds } },
            ["3"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("2", 0), ["filename_prefix"] = prefix } },
        };
        using var content = new StringContent(PythonJson.Serialize(new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId }));
        using HttpResponseMessage response = await api.Http.PostAsync("prompt", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (string)PythonJson.Parse(text)!["prompt_id"]!;
    }

    private static async Task WaitForHistoryAsync(PostgresTestDatabase database, int count, TimeSpan? limit = null)
    {
        DateTime deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(90));
        long stored = 0;
        while (DateTime.UtcNow < deadline)
        {
            stored = await ScalarAsync(database, "SELECT count(*) FROM history;");
            if (stored >= count)
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"only {stored} of {count} prompts reached the history in time");
    }

    private static async Task<long> ScalarAsync(PostgresTestDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
