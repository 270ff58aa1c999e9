using VoiceBridge.Limits;

namespace VoiceBridge.Tests.Limits;

public sealed class SessionLimitSweeperTests
{
    [Fact]
    public void SweeperPeriod_IsATenthOfTheShorterLimit_BoundedToOneSecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), SessionLimitSweeper.PeriodFor(new LimitsOptions()));
        Assert.Equal(TimeSpan.FromMilliseconds(50), SessionLimitSweeper.PeriodFor(new LimitsOptions { IdleTimeout = TimeSpan.FromMilliseconds(500) }));
        Assert.Equal(TimeSpan.FromMilliseconds(20), SessionLimitSweeper.PeriodFor(new LimitsOptions { MaxSessionDuration = TimeSpan.FromMilliseconds(10) }));
    }
}
