using System.Net.WebSockets;
using ComfySharp.Server.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>
/// Frames are sent without a cancellation token (ManagedWebSocket's synchronous path), so a send
/// stalled on a client that stopped reading must end through the socket abort that the connection's
/// token triggers.
/// </summary>
public sealed class WebSocketSenderAbortTests
{
    [Fact]
    public async Task Cancelling_the_connection_ends_a_send_stalled_on_a_client_that_stopped_reading()
    {
        using var transport = new StalledStream();
        using WebSocket socket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true });
        using var connection = new ClientConnection(socket, NullLogger.Instance);
        using var cts = new CancellationTokenSource();
        connection.Enqueue(new OutgoingFrame("{\"type\":\"status\"}"u8.ToArray(), WebSocketMessageType.Text));
        Task sender = connection.RunSenderAsync(cts.Token);

        await transport.WriteStarted.Task.WaitAsync(TestContext.Current.CancellationToken);
        Assert.False(sender.IsCompleted);

        await cts.CancelAsync();
        await sender.WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketState.Aborted, socket.State);
        Assert.True(transport.Disposed);
    }

    // A transport whose writes never complete until it is disposed, like a socket whose peer stopped reading.
    private sealed class StalledStream : Stream
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Disposed => _disposed.Task.IsCompleted;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WriteStarted.TrySetResult();
            await _disposed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(StalledStream));
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _disposed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
