using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Limits;

namespace VoiceBridge.Tests.Limits;

public class AudioRateBucketTests
{
    private const int OneSecond = AudioRateBucket.BytesPerSecondOfAudio;

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void NewBucket_StartsFullWithBurstOfAudio()
    {
        var bucket = new AudioRateBucket(new LimitsOptions(), _time);

        Assert.Equal(10.0 * OneSecond, bucket.Capacity);
        Assert.True(bucket.TryConsume(10 * OneSecond));
        Assert.False(bucket.TryConsume(2));
    }

    [Fact]
    public void TryConsume_BeyondAvailable_RefusedAndNothingTaken()
    {
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(1), _time);

        Assert.True(bucket.TryConsume(OneSecond - 100));
        Assert.False(bucket.TryConsume(102));
        Assert.True(bucket.TryConsume(100));
        Assert.False(bucket.TryConsume(2));
    }

    [Fact]
    public void TryConsume_FrameLargerThanWholeBucket_AlwaysRefused()
    {
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(1), _time);

        Assert.False(bucket.TryConsume(OneSecond + 2));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.False(bucket.TryConsume(OneSecond + 2));
        Assert.True(bucket.TryConsume(OneSecond));
    }

    [Fact]
    public void TryConsume_RefillsAtRateTimesRealTime_CappedAtCapacity()
    {
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(10), _time);
        Assert.True(bucket.TryConsume(10 * OneSecond));

        _time.Advance(TimeSpan.FromMilliseconds(250)); // 4 x 0.25 s = 1 s of audio
        Assert.True(bucket.TryConsume(OneSecond));
        Assert.False(bucket.TryConsume(2));

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(10.0 * OneSecond, bucket.Available);
    }

    [Fact]
    public void TryConsume_StreamAtRealTime_NeverRefused_AtFiveTimesTheLimit_RefusedAfterBurst()
    {
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(10), _time);
        const int Frame = 4800; // 100 ms

        // 10 minutes of real-time audio, 100 ms frames every 100 ms.
        for (var i = 0; i < 6000; i++)
        {
            Assert.True(bucket.TryConsume(Frame));
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // Five times real time: net drain of 1 s of audio per real second: the 10 s burst lasts ~10 s.
        var accepted = 0;
        for (var i = 0; i < 5 * 200; i++)
        {
            if (bucket.TryConsume(Frame))
            {
                accepted++;
            }

            _time.Advance(TimeSpan.FromMilliseconds(20));
        }

        // 20 s of wall time: 80 s refilled + 10 s burst = 90 s of the 100 s sent.
        Assert.InRange(accepted, 895, 905);
    }

    [Fact]
    public void TryConsume_ClockStandsStill_NoRefill()
    {
        var bucket = new AudioRateBucket(1, TimeSpan.FromSeconds(1), _time);
        Assert.True(bucket.TryConsume(OneSecond));

        for (var i = 0; i < 1000; i++)
        {
            Assert.False(bucket.TryConsume(2));
        }
    }

    [Fact]
    public void TryConsume_Zero_Succeeds_Negative_Throws()
    {
        var bucket = new AudioRateBucket(1, TimeSpan.FromSeconds(1), _time);
        Assert.True(bucket.TryConsume(OneSecond));

        Assert.True(bucket.TryConsume(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => bucket.TryConsume(-1));
    }

    [Fact]
    public void ShouldReport_AtMostOncePerSecond()
    {
        var bucket = new AudioRateBucket(1, TimeSpan.FromSeconds(1), _time);

        Assert.True(bucket.ShouldReport());
        Assert.False(bucket.ShouldReport());
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(bucket.ShouldReport());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.ShouldReport());
        Assert.False(bucket.ShouldReport());
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(bucket.ShouldReport());
    }

    [Fact]
    public void ShouldReport_ManyRefusalsOverTenSeconds_TenReports()
    {
        var bucket = new AudioRateBucket(1, TimeSpan.FromSeconds(1), _time);
        var reports = 0;
        for (var i = 0; i < 1000; i++)
        {
            reports += bucket.ShouldReport() ? 1 : 0;
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(10, reports);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(double.PositiveInfinity, 1)]
    [InlineData(1, 0)]
    [InlineData(1, -1)]
    public void Constructor_NonPositiveRateOrBurst_Throws(double rate, int burstSeconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AudioRateBucket(rate, TimeSpan.FromSeconds(burstSeconds), _time));
    }

    [Fact]
    public void TryConsumeAndShouldReport_AllocateNothing()
    {
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(1), _time);
        bucket.TryConsume(10);
        bucket.ShouldReport();

        var count = 0;
        Assert.Equal(0, AllocationProbe.FewestBytes(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                count += bucket.TryConsume(4800) ? 1 : 0;
                count += bucket.ShouldReport() ? 1 : 0;
                _time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }));
        Assert.True(count > 0);
    }

    [Fact]
    public void Bucket_WithSystemTimeProvider_StartsFull()
    {
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(10), TimeProvider.System);

        Assert.True(bucket.TryConsume(10 * OneSecond));
    }
}
