namespace VoiceBridge.Tests.Limits;

/// <summary>A clock that moves only when told to (Microsoft.Extensions.TimeProvider.Testing is not on the feed).</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _timestamp = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _timestamp;

    public void Advance(TimeSpan by) => _timestamp += by.Ticks;
}
