using System.Buffers;
using System.IO.Pipelines;

namespace VoiceBridge.TestKit;

/// <summary>
/// One end of a <see cref="WebSocketPair"/>'s transport: reads from one pipe, writes to the other. It can stop reading
/// (the pipe fills and the writer's flush waits: backpressure) and it can vanish (both pipes completed: the other end
/// reads end-of-stream and its writes fail as on a reset connection).
/// </summary>
internal sealed class PipeDuplexStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Lock _gateLock = new();
    private TaskCompletionSource _readGate = Open();
    private volatile bool _gone;

    public PipeDuplexStream(PipeReader input, PipeWriter output)
    {
        _input = input;
        _output = output;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void StopReading()
    {
        lock (_gateLock)
        {
            if (_readGate.Task.IsCompleted)
            {
                _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void ResumeReading()
    {
        lock (_gateLock)
        {
            _readGate.TrySetResult();
        }
    }

    /// <summary>The transport goes away: no more bytes either way, whoever is waiting is woken.</summary>
    public void Vanish()
    {
        _gone = true;
        ResumeReading();
        _input.CancelPendingRead();
        _output.CancelPendingFlush();
        _input.Complete();
        _output.Complete();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task gate;
        lock (_gateLock)
        {
            gate = _readGate.Task;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfGone();
        try
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var source = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(source.Start);
                throw Gone();
            }

            if (buffer.IsEmpty || source.IsEmpty)
            {
                // A zero-byte read only waits for data (or the end of the stream), taking nothing.
                _input.AdvanceTo(source.Start);
                return 0;
            }

            // The length is read before AdvanceTo: the sequence's segments go back to the pipe's pool there.
            var length = (int)Math.Min(source.Length, buffer.Length);
            var taken = source.Slice(0, length);
            taken.CopyTo(buffer.Span);
            _input.AdvanceTo(taken.End);
            return length;
        }
        catch (InvalidOperationException) when (_gone)
        {
            throw Gone(); // completed under a read by Vanish
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfGone();
        FlushResult result;
        try
        {
            result = await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (_gone)
        {
            throw Gone();
        }

        // Completed: the other end's reader is gone (it vanished or was disposed). Canceled: this end vanished mid-write.
        if (result.IsCompleted || result.IsCanceled)
        {
            throw Gone();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    // Every write is flushed as it is made.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_gone)
        {
            Vanish();
        }

        base.Dispose(disposing);
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private void ThrowIfGone()
    {
        if (_gone)
        {
            throw Gone();
        }
    }

    private static IOException Gone() => new("The connection is gone (the in-memory transport was aborted).");
}
