using Microsoft.AspNetCore.Http;
using VoiceBridge.Cluster;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Cluster;

public sealed class ResumeHopTests
{
    [Fact]
    public void Credentials_FromEveryPlace_ReachTheOwnerAsTheSameCandidates()
    {
        var browser = new DefaultHttpContext().Request;
        browser.Headers.SecWebSocketProtocol = "realtime, voicebridge-resume.abc, openai-insecure-api-key.jwt-one";
        browser.Headers.Authorization = "Bearer jwt-one";
        browser.QueryString = new QueryString("?access_token=jwt%2Ctwo");

        var forwarded = ResumeHop.CollectCredentials(browser);
        var owner = new DefaultHttpContext().Request;
        owner.QueryString = new QueryString("?access_token=planted");

        Assert.True(ResumeHop.TryRestoreCredentials(forwarded, owner));
        Assert.Equal("Bearer jwt-one|Bearer jwt,two", string.Join('|', owner.Headers.Authorization.ToArray()));
        Assert.False(owner.Query.ContainsKey("access_token"));

        // Two different tokens stay a conflict on the owner, as they were on the node the browser reached.
        Assert.True(TokenExtractor.Extract(owner).Conflicting);
    }

    [Fact]
    public void Credentials_None_RestoreToNone()
    {
        var owner = new DefaultHttpContext().Request;

        Assert.Equal(string.Empty, ResumeHop.CollectCredentials(new DefaultHttpContext().Request));
        Assert.True(ResumeHop.TryRestoreCredentials(string.Empty, owner));
        Assert.Null(TokenExtractor.Extract(owner).Token);
    }

    [Fact]
    public void Credentials_NotBase64Url_AreRefused()
    {
        Assert.False(ResumeHop.TryRestoreCredentials("not*base64", new DefaultHttpContext().Request));
    }

    [Fact]
    public void Payload_BindsEveryField()
    {
        var payload = ResumeHop.Payload("KEY", "node-b", "node-a", "10.0.0.9", "Y3JlZA");

        Assert.Equal("KEY\nnode-b\nnode-a\n10.0.0.9\nY3JlZA", payload);
        Assert.NotEqual(payload, ResumeHop.Payload("KEY", "node-b", "node-c", "10.0.0.9", "Y3JlZA"));
    }
}
