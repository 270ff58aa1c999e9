using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

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
}
