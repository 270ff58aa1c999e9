using System.Diagnostics;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>
/// Twilio's side of playback, at real-time pace: the bridge's <c>media</c> is played 8 bytes a millisecond, in order;
/// a <c>mark</c> is echoed when everything sent before it has played; <c>clear</c> drops what is buffered and echoes
/// its pending marks at once (as Twilio does: those marks say nothing about playback).
/// </summary>
internal sealed class TwilioPlayer : IAsyncDisposable
{
    private const int BytesPerMs = 8;

    private readonly Lock _lock = new();
    private readonly Queue<(int Bytes, string? Mark)> _buffer = new();
    private readonly SemaphoreSlim _queued = new(0);
    private readonly Func<string, Task> _echo;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(string Name, long PlayedMs)> _echoed = [];
    private readonly List<string> _clearedMarks = [];
    private readonly Task _playing;
    private readonly ChangeSignal _changed = new();
    private CancellationTokenSource _clear = new();
    private long _playedBytes;

    public TwilioPlayer(Func<string, Task> echo)
    {
        _echo = echo;
        _playing = PlayAsync();
    }

    /// <summary>Audio played so far, in ms.</summary>
    public long PlayedMs => Interlocked.Read(ref _playedBytes) / BytesPerMs;

    /// <summary>The marks echoed because their audio played, with the ms played at that point.</summary>
    public IReadOnlyList<(string Name, long PlayedMs)> Echoed
    {
        get
        {
            lock (_lock)
            {
                return [.. _echoed];
            }
        }
    }

    /// <summary>The marks echoed by a <c>clear</c>, unplayed.</summary>
    public IReadOnlyList<string> ClearedMarks
    {
        get
        {
            lock (_lock)
            {
                return [.. _clearedMarks];
            }
        }
    }

    public void Media(int bytes) => Enqueue((bytes, null));

    public void Mark(string name) => Enqueue((0, name));

    public async Task ClearAsync()
    {
        List<string> marks;
        lock (_lock)
        {
            marks = [.. _buffer.Where(e => e.Mark is not null).Select(e => e.Mark!)];
            _clearedMarks.AddRange(marks);
            _buffer.Clear();
            _clear.Cancel();
            _clear.Dispose();
            _clear = new CancellationTokenSource();
        }

        foreach (var mark in marks)
        {
            await _echo(mark);
        }
    }

    /// <summary>Completes once marks covering at least <paramref name="ms"/> of audio have been echoed.</summary>
    public Task WaitForEchoedAsync(long ms, CancellationToken cancellationToken) =>
        _changed.WaitUntilAsync(() => Echoed is { Count: > 0 } echoed && echoed[^1].PlayedMs >= ms, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _playing;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
        _clear.Dispose();
        _queued.Dispose();
    }

    private void Enqueue((int Bytes, string? Mark) entry)
    {
        lock (_lock)
        {
            _buffer.Enqueue(entry);
        }

        _queued.Release();
    }

    private async Task PlayAsync()
    {
        // A playback clock, so that many 20 ms waits do not drift late: each chunk is due when the one before it ends.
        var clock = Stopwatch.StartNew();
        var due = TimeSpan.Zero;
        while (true)
        {
            await _queued.WaitAsync(_stop.Token);
            (int Bytes, string? Mark) entry;
            CancellationToken cleared;
            lock (_lock)
            {
                if (!_buffer.TryDequeue(out entry))
                {
                    continue;
                }

                cleared = _clear.Token;
            }

            if (entry.Mark is { } name)
            {
                // Listed once sent, so that a test that then makes a round trip knows the bridge has it.
                var played = PlayedMs;
                await _echo(name);
                lock (_lock)
                {
                    _echoed.Add((name, played));
                }

                _changed.Notify();
                continue;
            }

            due = due < clock.Elapsed ? clock.Elapsed : due;
            due += TimeSpan.FromMilliseconds((double)entry.Bytes / BytesPerMs);
            try
            {
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cleared, _stop.Token);
                    await Task.Delay(wait, linked.Token);
                }

                Interlocked.Add(ref _playedBytes, entry.Bytes);
            }
            catch (OperationCanceledException) when (cleared.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                // Cleared mid-chunk: the rest of it is never heard.
                due = clock.Elapsed;
            }
        }
    }
}
