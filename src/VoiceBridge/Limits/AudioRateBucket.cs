namespace VoiceBridge.Limits;

/// <summary>
/// A session's token bucket over the browser's audio, in bytes of PCM16 at 24 kHz (48,000 bytes per
/// second of audio): holds <see cref="LimitsOptions.AudioBurst"/> of audio, refills at
/// <see cref="LimitsOptions.MaxAudioRate"/> times real time, starts full.
/// </summary>
/// <remarks>
/// Driven by <see cref="TimeProvider"/> timestamps read on each call: no timer, no lock, no
/// allocation. Not thread-safe: its single caller is the session's browser receive loop.
/// </remarks>
internal sealed class AudioRateBucket
{
    /// <summary>PCM16 mono at 24 kHz.</summary>
    public const int BytesPerSecondOfAudio = 48_000;

    private readonly TimeProvider _timeProvider;
    private readonly double _refillBytesPerSecond;
    private readonly long _reportIntervalTicks;
    private double _available;
    private long _lastRefill;
    private long _lastReport;
    private bool _hasReported;

    public AudioRateBucket(LimitsOptions options, TimeProvider timeProvider)
        : this(options?.MaxAudioRate ?? throw new ArgumentNullException(nameof(options)), options.AudioBurst, timeProvider)
    {
    }

    /// <exception cref="ArgumentOutOfRangeException">A rate or burst that is not positive and finite.</exception>
    public AudioRateBucket(double maxAudioRate, TimeSpan audioBurst, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (!double.IsFinite(maxAudioRate) || maxAudioRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxAudioRate), maxAudioRate, "The audio rate must be a positive multiple of real time.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(audioBurst, TimeSpan.Zero);

        _timeProvider = timeProvider;
        _refillBytesPerSecond = maxAudioRate * BytesPerSecondOfAudio;
        Capacity = audioBurst.TotalSeconds * BytesPerSecondOfAudio;
        _available = Capacity;
        _lastRefill = timeProvider.GetTimestamp();
        _reportIntervalTicks = timeProvider.TimestampFrequency; // one second
    }

    /// <summary>Bytes of PCM the full bucket holds.</summary>
    public double Capacity { get; }

    /// <summary>Bytes that could be consumed now.</summary>
    public double Available
    {
        get
        {
            Refill();
            return _available;
        }
    }

    /// <summary>
    /// Takes <paramref name="pcmBytes"/> from the bucket if they are all there. False (nothing taken)
    /// when they are not, and always for a frame larger than the whole bucket: the frame is not to
    /// be forwarded. Zero bytes always succeed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pcmBytes"/> is negative.</exception>
    public bool TryConsume(int pcmBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pcmBytes);
        Refill();
        if (pcmBytes > _available)
        {
            return false;
        }

        _available -= pcmBytes;
        return true;
    }

    /// <summary>
    /// True at most once per second: whether to send <c>audio_rate_exceeded</c> for a refused frame
    /// now. Call it only when <see cref="TryConsume"/> refused; each true starts a new second.
    /// </summary>
    public bool ShouldReport()
    {
        var now = _timeProvider.GetTimestamp();
        if (_hasReported && now - _lastReport < _reportIntervalTicks)
        {
            return false;
        }

        _hasReported = true;
        _lastReport = now;
        return true;
    }

    private void Refill()
    {
        var now = _timeProvider.GetTimestamp();
        var elapsed = now - _lastRefill;
        if (elapsed <= 0)
        {
            return; // A provider whose clock stands still (or a fake one moved back) refills nothing.
        }

        _lastRefill = now;
        _available = Math.Min(Capacity, _available + (elapsed * _refillBytesPerSecond / _timeProvider.TimestampFrequency));
    }
}
