using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Storage.Postgres;
using Xunit;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>Binary previews from a worker to the API nodes over a real PostgreSQL NOTIFY: inline and in parts, in order, bounded.</summary>
public sealed class PreviewRelayTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Previews_small_and_large_arrive_whole_in_order_between_the_json_messages()
    {
        using PostgresTestDatabase database = PostgresTestDatabase.Create();
        using var store = new PostgresPromptStore(database.ConnectionString);
        await using var listener = new NotificationListener(database.ConnectionString, EventEnvelope.Channel);
        await listener.Listening;
        byte[] small = Bytes(3000, seed: 1);
        byte[] large = Bytes((PreviewRelay.PartBytes * 7) + 123, seed: 2);
        var origin = new PreviewOrigin("5", "prompt-1", "5", null, "5");
        await using (var publisher = new EventPublisher(store.DataSource))
        {
            var sink = new RelaySink(publisher);
            sink.Send("progress", new JsonObject { ["value"] = 1, ["max"] = 2, ["prompt_id"] = "prompt-1", ["node"] = "5" }, MessageTarget.ClientOrAll, "alice");
            sink.SendPreview(new PreviewImage(PreviewFormat.Jpeg, small), origin, "alice");
            // Wait, so the large one is not dropped by the bound on waiting previews.
            await Task.Delay(200, Token);
            sink.SendPreview(new PreviewImage(PreviewFormat.Png, large), origin with { ParentNodeId = "2" }, "bob");
            sink.Send("progress", new JsonObject { ["value"] = 2, ["max"] = 2, ["prompt_id"] = "prompt-1", ["node"] = "5" }, MessageTarget.ClientOrAll, "alice");
        }
        var assembler = new PreviewAssembler();
        var received = new List<object>();
        await foreach (var (_, payload) in listener.ReadAllAsync(Token))
        {
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(payload) < 8000);
            if (payload.StartsWith('@'))
            {
                if (assembler.AcceptPart(payload) is { } done)
                {
                    received.Add(done);
                }
            }
            else if (EventEnvelope.Parse(payload) is { } envelope)
            {
                received.Add(envelope.Type == PreviewRelay.Type ? (object?)assembler.Accept(envelope) ?? "header" : envelope.Type);
            }
            if (received.Count(r => r is string s && s == "progress") == 2)
            {
                break;
            }
        }
        received.RemoveAll(r => r is "header");
        Assert.Equal(4, received.Count);
        Assert.Equal("progress", received[0]);
        var first = (RelayedPreview)received[1];
        Assert.Equal((PreviewFormat.Jpeg, "alice", origin), (first.Image.Format, first.ClientId, first.Origin));
        Assert.Equal(small, first.Image.Data.ToArray());
        var second = (RelayedPreview)received[2];
        Assert.Equal((PreviewFormat.Png, "bob", "2"), (second.Image.Format, second.ClientId, second.Origin.ParentNodeId));
        Assert.Equal(large, second.Image.Data.ToArray());
        Assert.Equal("progress", received[3]);
        Assert.Equal(0, assembler.Dropped);
    }

    [Fact]
    public void The_parts_of_a_large_preview_stay_under_the_payload_limit_and_the_assembler_is_bounded()
    {
        var origin = new PreviewOrigin("1", "p", "1", null, "1");
        IReadOnlyList<string> payloads = PreviewRelay.Encode(new PreviewImage(PreviewFormat.Jpeg, Bytes(PreviewRelay.PartBytes * 3, 3)), origin, "c", "r1");
        Assert.Equal(4, payloads.Count);
        Assert.All(payloads, p => Assert.True(p.Length < EventPublisher.MaxPayloadBytes, $"{p.Length} bytes"));
        Assert.Empty(PreviewRelay.Encode(new PreviewImage(PreviewFormat.Jpeg, new byte[PreviewRelay.MaxImageBytes + 1]), origin, "c", "r2"));

        // More previews open than the bound: the oldest is dropped, its parts ignored.
        var assembler = new PreviewAssembler();
        var headers = new List<IReadOnlyList<string>>();
        for (int i = 0; i <= PreviewAssembler.MaxOpen; i++)
        {
            IReadOnlyList<string> preview = PreviewRelay.Encode(new PreviewImage(PreviewFormat.Jpeg, Bytes(PreviewRelay.PartBytes + 1, i)), origin, "c", $"id{i}");
            Assert.Null(assembler.Accept(EventEnvelope.Parse(preview[0])!));
            headers.Add(preview);
        }
        Assert.Equal(1, assembler.Dropped);
        Assert.Null(assembler.AcceptPart(headers[0][1]));
        Assert.Null(assembler.AcceptPart(headers[0][2]));
        Assert.Null(assembler.AcceptPart(headers[1][1]));
        Assert.Equal(Bytes(PreviewRelay.PartBytes + 1, 1), assembler.AcceptPart(headers[1][2])!.Image.Data.ToArray());
        // Malformed payloads are ignored.
        Assert.Null(assembler.AcceptPart("@nope"));
        Assert.Null(assembler.AcceptPart("@id2:99:AAAA"));
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
