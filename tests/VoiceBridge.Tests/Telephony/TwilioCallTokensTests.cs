using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Telephony;

namespace VoiceBridge.Tests.Telephony;

public sealed class TwilioCallTokensTests
{
    [Fact]
    public void TryRedeem_SameCallWithinLifetime_TrueOnce()
    {
        var time = new FakeTimeProvider();
        var tokens = new TwilioCallTokens(time);
        var token = tokens.Mint("CA1");
        time.Advance(TwilioCallTokens.Lifetime - TimeSpan.FromSeconds(1));

        Assert.True(tokens.TryRedeem(token, "CA1"));
        Assert.False(tokens.TryRedeem(token, "CA1"));
    }

    [Fact]
    public void TryRedeem_AnotherCall_FalseAndSpent()
    {
        var tokens = new TwilioCallTokens(new FakeTimeProvider());
        var token = tokens.Mint("CA1");

        Assert.False(tokens.TryRedeem(token, "CA2"));
        Assert.False(tokens.TryRedeem(token, "CA1"));
    }

    [Fact]
    public void TryRedeem_After60Seconds_False()
    {
        var time = new FakeTimeProvider();
        var tokens = new TwilioCallTokens(time);
        var token = tokens.Mint("CA1");
        time.Advance(TimeSpan.FromSeconds(60));

        Assert.False(tokens.TryRedeem(token, "CA1"));
    }

    [Fact]
    public void Mint_ExpiredTokensSwept_AndEachTokenUnique()
    {
        var time = new FakeTimeProvider();
        var tokens = new TwilioCallTokens(time);
        var first = tokens.Mint("CA1");
        time.Advance(TimeSpan.FromSeconds(61));
        var second = tokens.Mint("CA1");

        Assert.NotEqual(first, second);
        Assert.Equal(1, tokens.Count);
        Assert.False(tokens.TryRedeem(null, "CA1"));
        Assert.False(tokens.TryRedeem("", "CA1"));
    }
}
