using VoiceBridge.Diagnostics;

namespace VoiceBridge.Sessions;

/// <summary>
/// Per-session counters. Each field has a single writer (the loop that owns that direction), so plain
/// increments suffice; readers on other threads (the admin API) may see a value a frame old. The per-turn
/// first-audio times are the one list, guarded by this session's own lock (never shared between sessions).
/// </summary>
internal sealed class SessionStatistics
{
    /// <summary>PCM16 mono 24 kHz: bytes per second of audio.</summary>
    public const double AudioBytesPerSecond = 48_000;

    private readonly List<double> _firstAudioMs = [];
    private readonly Lock _firstAudioLock = new();

    /// <summary>Messages received from the browser.</summary>
    public long FramesIn;

    public long BytesIn;

    /// <summary>Messages sent to the browser (an audio delta in binary mode counts as two).</summary>
    public long FramesOut;

    public long BytesOut;

    /// <summary>Messages received from upstream.</summary>
    public long UpstreamFramesIn;

    private long _queueFullWaits;

    /// <summary>Decoded PCM bytes the browser sent (binary frames and append events) that were forwarded.</summary>
    public long AudioBytesIn;

    /// <summary>Decoded PCM bytes of the audio deltas sent towards the browser.</summary>
    public long AudioBytesOut;

    /// <summary><c>response.done</c> events seen.</summary>
    public long Responses;

    public long InputTokens;

    public long OutputTokens;

    public long InputAudioTokens;

    public long OutputAudioTokens;

    public long CachedTokens;

    /// <summary>Times a frame for the browser found its queue full and had to wait (the upstream pump and admin pushes both write it).</summary>
    public long QueueFullWaits => Interlocked.Read(ref _queueFullWaits);

    public void AddQueueFullWait() => Interlocked.Increment(ref _queueFullWaits);

    public void AddTokens(in TokenUsage usage)
    {
        InputTokens += usage.InputTokens;
        OutputTokens += usage.OutputTokens;
        InputAudioTokens += usage.InputAudioTokens;
        OutputAudioTokens += usage.OutputAudioTokens;
        CachedTokens += usage.InputCachedTokens;
    }

    public void AddFirstAudio(TimeSpan elapsed)
    {
        lock (_firstAudioLock)
        {
            _firstAudioMs.Add(elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Turns measured, and the median and maximum time from the end of a turn to its first audio, in ms.</summary>
    public (int Turns, double? P50Ms, double? MaxMs) FirstAudio()
    {
        double[] values;
        lock (_firstAudioLock)
        {
            values = [.. _firstAudioMs];
        }

        if (values.Length == 0)
        {
            return (0, null, null);
        }

        Array.Sort(values);
        var middle = values.Length / 2;
        var p50 = values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
        return (values.Length, Math.Round(p50, 1), Math.Round(values[^1], 1));
    }
}
