using VoiceBridge.Limits;

namespace VoiceBridge.Tests.Limits;

public sealed class OriginPolicyTests
{
    [Theory]
    [InlineData("https://App.Example.com", "https://app.example.com")]
    [InlineData("https://app.example.com:443", "https://app.example.com")]
    [InlineData("http://localhost:3000", "http://localhost:3000")]
    [InlineData("https://app.example.com/", "https://app.example.com")]
    public void TryNormalize_Origins_AreCanonical(string origin, string expected)
    {
        Assert.True(OriginPolicy.TryNormalize(origin, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("app.example.com")]
    [InlineData("https://app.example.com/path")]
    [InlineData("ftp://app.example.com")]
    [InlineData("https://user@app.example.com")]
    [InlineData("")]
    public void TryNormalize_NonOrigins_AreRejected(string origin)
    {
        Assert.False(OriginPolicy.TryNormalize(origin, out _));
    }

    [Fact]
    public void LimitsValidator_BadOriginOrProxy_NamesTheKey()
    {
        var result = new LimitsOptionsValidator().Validate(null, new LimitsOptions
        {
            AllowedOrigins = ["https://ok.example.com", "not an origin"],
            TrustedProxies = ["10.0.0.0/8", "proxy.internal"],
        });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Limits:AllowedOrigins", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Limits:TrustedProxies", StringComparison.Ordinal));
        Assert.True(new LimitsOptionsValidator().Validate(null, new LimitsOptions()).Succeeded);
    }

    [Fact]
    public void SweeperPeriod_IsATenthOfTheShorterLimit_BoundedToOneSecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), SessionLimitSweeper.PeriodFor(new LimitsOptions()));
        Assert.Equal(TimeSpan.FromMilliseconds(50), SessionLimitSweeper.PeriodFor(new LimitsOptions { IdleTimeout = TimeSpan.FromMilliseconds(500) }));
        Assert.Equal(TimeSpan.FromMilliseconds(20), SessionLimitSweeper.PeriodFor(new LimitsOptions { MaxSessionDuration = TimeSpan.FromMilliseconds(10) }));
    }
}
