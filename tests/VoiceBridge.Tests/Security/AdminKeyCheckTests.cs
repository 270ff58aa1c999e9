using Microsoft.AspNetCore.Http;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public sealed class AdminKeyCheckTests
{
    private const string Key = "admin-key-0123456789abcdef";

    private static AdminKeyCheck.Outcome Check(params string[] authorization)
    {
        var context = new DefaultHttpContext();
        if (authorization.Length > 0)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return AdminKeyCheck.Check(context.Request, Key);
    }

    [Fact]
    public void NoHeader_IsMissing() => Assert.Equal(AdminKeyCheck.Outcome.Missing, Check());

    [Theory]
    [InlineData("Bearer " + Key)]
    [InlineData("bearer " + Key)]
    [InlineData("  Bearer   " + Key + " ")]
    public void RightKey_IsValid(string header) => Assert.Equal(AdminKeyCheck.Outcome.Valid, Check(header));

    [Theory]
    [InlineData("Bearer admin-key-0123456789abcdeF")]
    [InlineData("Bearer admin-key-0123456789abcde")]
    [InlineData("Bearer admin-key-0123456789abcdef0")]
    [InlineData("Bearer ")]
    [InlineData("Basic " + Key)]
    [InlineData(Key)]
    [InlineData("Bearer" + Key)]
    public void AnythingElse_IsInvalid(string header) => Assert.Equal(AdminKeyCheck.Outcome.Invalid, Check(header));

    [Fact]
    public void TwoAuthorizationHeaders_AreInvalid() =>
        Assert.Equal(AdminKeyCheck.Outcome.Invalid, Check("Bearer " + Key, "Bearer " + Key));

    [Theory]
    [InlineData(Key, "Bearer " + Key, true)]
    [InlineData(Key, "Bearer wrong-key-0123456789abcdef", false)]
    [InlineData(Key, null, false)]
    [InlineData(null, "Bearer " + Key, false)]
    [InlineData("", "Bearer ", false)]
    public void IsAdmin_OnlyTheConfiguredKey_NeverWithoutOne(string? configured, string? header, bool expected)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers.Authorization = header;
        }

        Assert.Equal(expected, AdminKeyCheck.IsAdmin(context.Request, configured));
    }
}
