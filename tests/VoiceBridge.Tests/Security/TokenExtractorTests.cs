using Microsoft.AspNetCore.Http;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public sealed class TokenExtractorTests
{
    private static HttpRequest Request(string? subProtocols = null, string? authorization = null, string? query = null)
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

        return context.Request;
    }

    [Fact]
    public void Extract_NothingPresented_FindsNothing()
    {
        var result = TokenExtractor.Extract(Request(subProtocols: "realtime", authorization: "Basic dXNlcjpwYXNz", query: "?audio=binary"));

        Assert.False(result.Found);
        Assert.Null(result.Token);
        Assert.Equal(TokenSource.None, result.Source);
        Assert.False(result.Conflicting);
    }

    [Theory]
    [InlineData("realtime, openai-insecure-api-key.tok.en.sig")]
    [InlineData("openai-insecure-api-key.tok.en.sig, realtime")]
    [InlineData("realtime,openai-insecure-api-key.tok.en.sig,openai-project.p1")]
    [InlineData("realtime ,\topenai-insecure-api-key.tok.en.sig\t, openai-beta.realtime-v1")]
    public void Extract_SubProtocolNextToRealtime_FindsTheToken(string header)
    {
        var result = TokenExtractor.Extract(Request(subProtocols: header));

        Assert.Equal("tok.en.sig", result.Token);
        Assert.Equal(TokenSource.SubProtocol, result.Source);
    }

    [Fact]
    public void Extract_SubProtocolsAcrossRepeatedHeaders_FindsTheToken()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.SecWebSocketProtocol = new Microsoft.Extensions.Primitives.StringValues(["realtime", "openai-insecure-api-key.a.b.c"]);

        Assert.Equal("a.b.c", TokenExtractor.Extract(context.Request).Token);
    }

    [Fact]
    public void Extract_SubProtocolPrefixIsCaseSensitive()
    {
        Assert.False(TokenExtractor.Extract(Request(subProtocols: "realtime, OpenAI-Insecure-Api-Key.a.b.c")).Found);
    }

    [Theory]
    [InlineData("Bearer a.b.c")]
    [InlineData("bearer a.b.c")]
    [InlineData("BEARER   a.b.c  ")]
    public void Extract_AuthorizationBearer_FindsTheToken(string header)
    {
        var result = TokenExtractor.Extract(Request(authorization: header));

        Assert.Equal("a.b.c", result.Token);
        Assert.Equal(TokenSource.AuthorizationHeader, result.Source);
    }

    [Theory]
    [InlineData("Basic a.b.c")]
    [InlineData("Bearera.b.c")]
    [InlineData("Bearer")]
    public void Extract_AuthorizationOtherThanBearer_IsIgnored(string header)
    {
        Assert.False(TokenExtractor.Extract(Request(authorization: header)).Found);
    }

    [Fact]
    public void Extract_AccessTokenQuery_FindsTheToken()
    {
        var result = TokenExtractor.Extract(Request(query: "?audio=binary&access_token=a.b.c"));

        Assert.Equal("a.b.c", result.Token);
        Assert.Equal(TokenSource.QueryString, result.Source);
    }

    [Fact]
    public void Extract_SameTokenEverywhere_ReportsTheSubProtocolFirst()
    {
        var result = TokenExtractor.Extract(Request("realtime, openai-insecure-api-key.a.b.c", "Bearer a.b.c", "?access_token=a.b.c"));

        Assert.True(result.Found);
        Assert.Equal(TokenSource.SubProtocol, result.Source);
    }

    [Fact]
    public void Extract_BearerBeforeQuery()
    {
        Assert.Equal(TokenSource.AuthorizationHeader, TokenExtractor.Extract(Request(authorization: "Bearer a.b.c", query: "?access_token=a.b.c")).Source);
    }

    [Theory]
    [InlineData("realtime, openai-insecure-api-key.a.b.c", "Bearer x.y.z", null)]
    [InlineData("realtime, openai-insecure-api-key.a.b.c", null, "?access_token=x.y.z")]
    [InlineData(null, "Bearer a.b.c", "?access_token=x.y.z")]
    [InlineData("openai-insecure-api-key.a.b.c, openai-insecure-api-key.x.y.z", null, null)]
    [InlineData(null, null, "?access_token=a.b.c&access_token=x.y.z")]
    public void Extract_DifferentTokens_AreConflictingAndYieldNone(string? subProtocols, string? authorization, string? query)
    {
        var result = TokenExtractor.Extract(Request(subProtocols, authorization, query));

        Assert.True(result.Conflicting);
        Assert.False(result.Found);
        Assert.Null(result.Token);
    }

    [Fact]
    public void Extract_EmptyTokenAfterThePrefix_IsFoundEmptySoValidationRefusesIt()
    {
        var result = TokenExtractor.Extract(Request(subProtocols: "realtime, openai-insecure-api-key."));

        Assert.Equal(string.Empty, result.Token);
        Assert.Equal(TokenSource.SubProtocol, result.Source);
    }

    [Fact]
    public void Extraction_ToString_NeverPrintsTheToken()
    {
        var result = TokenExtractor.Extract(Request(query: "?access_token=secret.token.value"));

        Assert.DoesNotContain("secret", result.ToString(), StringComparison.Ordinal);
    }
}
