using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Telephony;

namespace VoiceBridge.Tests.Telephony;

public sealed class TwilioCallTokensTests
{
    [Fact]
    public async Task TryRedeem_SameCallWithinLifetime_TrueOnce()
    {
        var time = new FakeTimeProvider();
        var tokens = new TwilioCallTokens(time);
        var token = await tokens.MintAsync("CA1");
        time.Advance(TwilioCallTokens.Lifetime - TimeSpan.FromSeconds(1));

        Assert.True(await tokens.TryRedeemAsync(token, "CA1"));
        Assert.False(await tokens.TryRedeemAsync(token, "CA1"));
    }

    [Fact]
    public async Task TryRedeem_AnotherCall_FalseAndSpent()
    {
        var tokens = new TwilioCallTokens(new FakeTimeProvider());
        var token = await tokens.MintAsync("CA1");

        Assert.False(await tokens.TryRedeemAsync(token, "CA2"));
        Assert.False(await tokens.TryRedeemAsync(token, "CA1"));
    }

    [Fact]
    public async Task TryRedeem_After60Seconds_False()
    {
        var time = new FakeTimeProvider();
        var tokens = new TwilioCallTokens(time);
        var token = await tokens.MintAsync("CA1");
        time.Advance(TimeSpan.FromSeconds(60));

        Assert.False(await tokens.TryRedeemAsync(token, "CA1"));
    }

    [Fact]
    public async Task Mint_ExpiredTokensSwept_AndEachTokenUnique()
    {
        var time = new FakeTimeProvider();
        var tokens = new TwilioCallTokens(time);
        var first = await tokens.MintAsync("CA1");
        time.Advance(TimeSpan.FromSeconds(61));
        var second = await tokens.MintAsync("CA1");

        Assert.NotEqual(first, second);
        Assert.Equal(1, tokens.Count);
        Assert.False(await tokens.TryRedeemAsync(null, "CA1"));
        Assert.False(await tokens.TryRedeemAsync("", "CA1"));
    }
}
