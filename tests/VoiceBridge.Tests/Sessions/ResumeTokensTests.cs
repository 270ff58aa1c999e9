using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

public class ResumeTokensTests
{
    [Fact]
    public async Task Issue_GivesDistinct43CharBase64UrlTokens_SingleUse()
    {
        var tokens = new ResumeTokens(Options.Create(new ContinuityOptions()));
        await using var h = new SessionHarness();
        var first = tokens.Issue(h.Session, out var key);
        var second = tokens.Issue(h.Session, out _);

        Assert.Matches("^[A-Za-z0-9_-]{43}$", first);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain(first, key, StringComparison.Ordinal);
        Assert.Same(h.Session, tokens.Find(first));
        Assert.True(tokens.TryClaim(first, h.Session));
        Assert.False(tokens.TryClaim(first, h.Session));
        Assert.Null(tokens.Find(first));
        Assert.Same(h.Session, tokens.Find(second));
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Find_MalformedOrUnknown_IsNull(string token)
    {
        var tokens = new ResumeTokens(Options.Create(new ContinuityOptions()));
        Assert.Null(tokens.Find(token));
    }

    [Fact]
    public async Task Forget_MakesTheTokenUnknown()
    {
        var tokens = new ResumeTokens(Options.Create(new ContinuityOptions()));
        await using var h = new SessionHarness();
        var token = tokens.Issue(h.Session, out var key);
        tokens.Forget(key, h.Session);
        Assert.Null(tokens.Find(token));
    }
}
