using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Configuration;
using VoiceBridge.Security;
using VoiceBridge.TestKit;

namespace VoiceBridge.Tests.Security;

public sealed class VoiceAuthorizerTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly long NowS = Now.ToUnixTimeSeconds();

    private static VoiceAuthorizer Authorizer(AuthMode mode = AuthMode.Token)
    {
        var auth = Options.Create(new AuthOptions { Mode = mode, SigningKey = HandJwt.KeyBase64 });
        var tokens = new BridgeTokenService(auth, Options.Create(new RealtimeSessionOptions()), new FakeTimeProvider(Now));
        return new VoiceAuthorizer(auth, tokens, NullLogger<VoiceAuthorizer>.Instance);
    }

    private static DefaultHttpContext Context(string? subProtocols = null, string? authorization = null, string? query = null)
    {
        var context = new DefaultHttpContext();
        if (subProtocols is not null)
        {
            context.Request.Headers.SecWebSocketProtocol = subProtocols;
        }

        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query);
        }

        return context;
    }

    [Fact]
    public async Task ModeNone_AlwaysSucceedsWithoutSubject_EvenWithAGarbageToken()
    {
        var result = await Authorizer(AuthMode.None).AuthorizeAsync(Context(query: "?access_token=garbage"));

        Assert.True(result.Succeeded);
        Assert.Null(result.Subject);
        Assert.Null(result.Session);
    }

    [Fact]
    public async Task ModeToken_ValidTokenInTheSubProtocol_SucceedsWithSubjectAndSession()
    {
        var token = HandJwt.Sign($$$"""{"sub":"alice","exp":{{{NowS + 60}}},"session":{"instructions":"Hi"}}""");

        var result = await Authorizer().AuthorizeAsync(Context(subProtocols: $"realtime, openai-insecure-api-key.{token}"));

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("alice", result.Subject);
        Assert.Equal("Hi", result.Session!.Value.GetProperty("instructions").GetString());
        Assert.Equal(TokenSource.SubProtocol, result.Source);
        Assert.Equal(Now.AddSeconds(60), result.ExpiresAt);
    }

    [Fact]
    public async Task ModeToken_NoToken_Is401MissingToken()
    {
        var result = await Authorizer().AuthorizeAsync(Context(subProtocols: "realtime"));

        Assert.False(result.Succeeded);
        Assert.Equal(401, result.StatusCode);
        Assert.Equal(AuthErrorCodes.MissingToken, result.ErrorCode);
    }

    [Theory]
    [InlineData("garbage", "invalid_token")]
    [InlineData("expired", "token_expired")]
    [InlineData("future", "token_not_yet_valid")]
    [InlineData("locked-field", "invalid_token")]
    [InlineData("bad-signature", "invalid_token")]
    public async Task ModeToken_RefusedToken_Is401WithItsCode(string kind, string code)
    {
        var token = kind switch
        {
            "garbage" => "not-a-token",
            "expired" => HandJwt.Sign($$"""{"exp":{{NowS - 3600}}}"""),
            "future" => HandJwt.Sign($$"""{"nbf":{{NowS + 120}},"exp":{{NowS + 300}}}"""),
            "locked-field" => HandJwt.Sign($$$"""{"exp":{{{NowS + 60}}},"session":{"model":"gpt-4o"}}"""),
            "bad-signature" => HandJwt.Sign($$"""{"exp":{{NowS + 60}}}""")[..^2] + "AA",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var result = await Authorizer().AuthorizeAsync(Context(query: $"?access_token={token}"));

        Assert.False(result.Succeeded);
        Assert.Equal(401, result.StatusCode);
        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(TokenSource.QueryString, result.Source);
        Assert.DoesNotContain(token, result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModeToken_LockedSessionField_MessageNamesTheField()
    {
        var token = HandJwt.Sign($$$"""{"exp":{{{NowS + 60}}},"session":{"model":"gpt-4o"}}""");

        var result = await Authorizer().AuthorizeAsync(Context(authorization: $"Bearer {token}"));

        Assert.Contains("model", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModeToken_TwoDifferentValidTokens_Is401InvalidToken()
    {
        var a = HandJwt.Sign($$"""{"sub":"a","exp":{{NowS + 60}}}""");
        var b = HandJwt.Sign($$"""{"sub":"b","exp":{{NowS + 60}}}""");

        var result = await Authorizer().AuthorizeAsync(Context(subProtocols: $"realtime, openai-insecure-api-key.{a}", authorization: $"Bearer {b}"));

        Assert.False(result.Succeeded);
        Assert.Equal(AuthErrorCodes.InvalidToken, result.ErrorCode);
    }

    [Fact]
    public async Task ToErrorResult_SetsTheBearerChallenge()
    {
        var missing = Context();
        (await Authorizer().AuthorizeAsync(missing)).ToErrorResult(missing);
        Assert.Equal("Bearer", missing.Response.Headers.WWWAuthenticate.ToString());

        var invalid = Context(query: "?access_token=x");
        (await Authorizer().AuthorizeAsync(invalid)).ToErrorResult(invalid);
        Assert.Equal("Bearer error=\"invalid_token\"", invalid.Response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public void ToErrorResult_OnSuccess_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => AuthResult.Anonymous.ToErrorResult(new DefaultHttpContext()));
    }

    [Fact]
    public void Describe_EveryFailure_HasACodeAndAMessage()
    {
        foreach (var failure in Enum.GetValues<TokenFailure>().Where(f => f != TokenFailure.None))
        {
            var (code, message) = VoiceAuthorizer.Describe(TokenValidationResult.Fail(failure));

            Assert.Contains(code, new[] { AuthErrorCodes.InvalidToken, AuthErrorCodes.TokenExpired, AuthErrorCodes.TokenNotYetValid });
            Assert.False(string.IsNullOrWhiteSpace(message));
        }
    }
}
