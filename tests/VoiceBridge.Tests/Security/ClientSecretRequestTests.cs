using System.Text;
using VoiceBridge.Configuration;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public sealed class ClientSecretRequestTests
{
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(10);

    private static (bool Ok, ClientSecretRequest? Request, string Code) Parse(string body, TimeSpan? max = null)
    {
        var ok = ClientSecretRequest.TryParse(Encoding.UTF8.GetBytes(body), max ?? Max, RealtimeSessionOptions.DefaultTokenMayUpdate, out var request, out var error);
        return (ok, request, error.Code);
    }

    [Fact]
    public void EmptyBody_GivesTheDefaultLifetime()
    {
        var (ok, request, _) = Parse("");

        Assert.True(ok);
        Assert.Equal(600, request!.Seconds);
        Assert.Null(request.User);
        Assert.Null(request.Session);
    }

    [Fact]
    public void DefaultLifetime_IsCappedByTheMaximum()
    {
        Assert.Equal(120, Parse("", TimeSpan.FromMinutes(2)).Request!.Seconds);
        Assert.Equal(120, Parse("{}", TimeSpan.FromMinutes(2)).Request!.Seconds);
    }

    [Fact]
    public void FullBody_IsRead()
    {
        var (ok, request, _) = Parse("""{"expires_after":{"anchor":"created_at","seconds":90},"session":{"type":"realtime","instructions":"Hi"},"user":"bob"}""");

        Assert.True(ok);
        Assert.Equal(90, request!.Seconds);
        Assert.Equal("bob", request.User);
        Assert.Equal("Hi", request.Session!.Value.GetProperty("instructions").GetString());
    }

    [Fact]
    public void NullMembers_CountAsAbsent()
    {
        var (ok, request, _) = Parse("""{"expires_after":null,"session":null,"user":null}""");

        Assert.True(ok);
        Assert.Equal(600, request!.Seconds);
    }

    [Fact]
    public void SecondsWithoutAnchor_AndExactlyTheMaximum_AreAccepted()
    {
        Assert.Equal(600, Parse("""{"expires_after":{"seconds":600}}""").Request!.Seconds);
        Assert.Equal(1, Parse("""{"expires_after":{"seconds":1}}""").Request!.Seconds);
    }

    [Theory]
    [InlineData("not json", AuthErrorCodes.InvalidJson)]
    [InlineData("{", AuthErrorCodes.InvalidJson)]
    [InlineData("""{"user":"a","user":"b"}""", AuthErrorCodes.InvalidJson)]
    [InlineData("[]", AuthErrorCodes.InvalidBody)]
    [InlineData("\"x\"", AuthErrorCodes.InvalidBody)]
    [InlineData("null", AuthErrorCodes.InvalidBody)]
    [InlineData("""{"expires_in":60}""", AuthErrorCodes.UnknownParameter)]
    [InlineData("""{"expires_after":{"seconds":60,"unit":"s"}}""", AuthErrorCodes.UnknownParameter)]
    [InlineData("""{"expires_after":60}""", AuthErrorCodes.InvalidExpiresAfter)]
    [InlineData("""{"expires_after":{"anchor":"now","seconds":60}}""", AuthErrorCodes.InvalidAnchor)]
    [InlineData("""{"expires_after":{"anchor":1,"seconds":60}}""", AuthErrorCodes.InvalidAnchor)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":0}}""", AuthErrorCodes.InvalidSeconds)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":-5}}""", AuthErrorCodes.InvalidSeconds)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":1.5}}""", AuthErrorCodes.InvalidSeconds)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":6e2}}""", AuthErrorCodes.InvalidSeconds)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":"60"}}""", AuthErrorCodes.InvalidSeconds)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":601}}""", AuthErrorCodes.LifetimeTooLong)]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":99999999999999999999}}""", AuthErrorCodes.InvalidSeconds)]
    [InlineData("""{"session":"x"}""", AuthErrorCodes.InvalidSession)]
    [InlineData("""{"session":{"model":"gpt-4o"}}""", AuthErrorCodes.SessionFieldNotAllowed)]
    [InlineData("""{"session":{"audio":{"input":{"format":{"type":"audio/pcmu"}}}}}""", AuthErrorCodes.SessionFieldNotAllowed)]
    [InlineData("""{"user":5}""", AuthErrorCodes.InvalidUser)]
    [InlineData("""{"user":""}""", AuthErrorCodes.InvalidUser)]
    public void BadBody_IsRefusedWithItsCode(string body, string code)
    {
        var (ok, request, actual) = Parse(body);

        Assert.False(ok);
        Assert.Null(request);
        Assert.Equal(code, actual);
    }

    [Fact]
    public void InvalidUtf8InsideAString_IsInvalidJson()
    {
        var body = Encoding.UTF8.GetBytes("""{"session":{"instructions":"AB"}}""");
        body[Array.IndexOf(body, (byte)'B')] = 0xC3;

        Assert.False(ClientSecretRequest.TryParse(body, Max, RealtimeSessionOptions.DefaultTokenMayUpdate, out _, out var error));
        Assert.Equal(AuthErrorCodes.InvalidJson, error.Code);
    }

    [Fact]
    public void OverlongUser_IsRefused()
    {
        Assert.Equal(AuthErrorCodes.InvalidUser, Parse($$"""{"user":"{{new string('u', 257)}}"}""").Code);
        Assert.True(Parse($$"""{"user":"{{new string('u', 256)}}"}""").Ok);
    }

    [Fact]
    public void RefusedSessionField_IsNamedInTheMessage()
    {
        ClientSecretRequest.TryParse(Encoding.UTF8.GetBytes("""{"session":{"tracing":"auto"}}"""), Max, RealtimeSessionOptions.DefaultTokenMayUpdate, out _, out var error);

        Assert.Contains("tracing", error.Message, StringComparison.Ordinal);
    }
}
