using System.Buffers.Binary;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Server.Tests.Storage;
using ComfySharp.Storage.Postgres;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.ScaleOut;

/// <summary>
/// An API node (<c>--role api</c>, in process, on a real PostgreSQL) hands a worker's previews to the
/// WebSocket of the prompt's client as the binary frames a single process sends, whole and in order with
/// the JSON messages; other clients get nothing.
/// </summary>
public sealed class PreviewRelayApiTests
{
    [Fact]
    public async Task A_workers_previews_reach_the_clients_socket_on_the_api_node()
    {
        using PostgresTestDatabase database = PostgresTestDatabase.Create();
        await using ComfyTestServer api = await ComfyTestServer.StartAsync(s =>
        {
            s.Options.Role = ServerRole.Api;
            s.Options.DatabasePath = database.Url;
        });
        await using ComfyWebSocketClient alice = await api.ConnectAsync("alice");
        await using ComfyWebSocketClient bob = await api.ConnectAsync("bob");
        await alice.WaitForAsync(f => f.Type == "status");
        await bob.WaitForAsync(f => f.Type == "status");

        var small = new byte[1500];
        var large = new byte[(PreviewRelay.PartBytes * 4) + 17];
        new Random(7).NextBytes(small);
        new Random(8).NextBytes(large);
        // What a worker's sink does (the worker process is not needed to drive its publisher).
        using var store = new PostgresPromptStore(database.ConnectionString);
        await using (var publisher = new EventPublisher(store.DataSource))
        {
            var worker = new RelaySink(publisher);
            var origin = new PreviewOrigin("3", "p1", "3", null, "3");
            worker.SendPreview(new PreviewImage(PreviewFormat.Jpeg, small), origin, "alice");
            await Task.Delay(200, TestContext.Current.CancellationToken);
            worker.SendPreview(new PreviewImage(PreviewFormat.Png, large), origin, "alice");
            worker.Send("progress", new JsonObject { ["value"] = 1, ["max"] = 1, ["prompt_id"] = "p1", ["node"] = "3" }, MessageTarget.ClientOrAll, "alice");
        }

        await alice.WaitForAsync(f => f.Text is not null && f.Type == "progress");
        List<WsFrame> relayed = alice.Received.Where(f => f.Binary is not null || f.Type == "progress").ToList();
        Assert.Equal(3, relayed.Count);
        WsFrame first = relayed[0], second = relayed[1];
        Assert.Equal((1u, 1u), (BinaryPrimitives.ReadUInt32BigEndian(first.Binary), BinaryPrimitives.ReadUInt32BigEndian(first.Binary.AsSpan(4))));
        Assert.Equal(small, first.Binary![8..]);
        Assert.Equal((1u, 2u), (BinaryPrimitives.ReadUInt32BigEndian(second.Binary), BinaryPrimitives.ReadUInt32BigEndian(second.Binary.AsSpan(4))));
        Assert.Equal(large, second.Binary![8..]);
        Assert.Equal("progress", relayed[2].Type);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(bob.Received, f => f.Binary is not null || f.Type == "progress");
    }
}
