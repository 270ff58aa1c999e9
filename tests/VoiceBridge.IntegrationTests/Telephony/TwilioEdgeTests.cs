using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>The telephony edge refuses everything Twilio did not sign, and every stream without its call's fresh token, before any upstream opens.</summary>
public sealed class TwilioEdgeTests
{
    [Fact]
    public async Task VoiceWebhook_SignedByTwilio_AnswersConnectStreamWithToken()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        using var response = await scene.Twilio.PostVoiceAsync("CA00000000000000000000000000000001", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType!.MediaType);
        var twiml = await response.Content.ReadAsStringAsync(ct);
        Assert.Matches("""^<\?xml[^>]*\?><Response><Connect><Stream url="wss://voice\.example\.test/twilio/media"><Parameter name="token" value="[A-Za-z0-9_-]{43}"/></Stream></Connect></Response>$""", twiml);
        Assert.DoesNotContain(FakeTwilio.AuthToken, scene.Bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VoiceWebhook_SignedWithTheDefaultPortAndARepeatedParameter_Answered()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();

        // The number's webhook written with ":443" in Twilio's console, PublicUrl without it; a parameter sent twice.
        using var response = await scene.Twilio.PostVoiceAsync(
            "CA00000000000000000000000000000009",
            ct,
            signedBase: FakeTwilio.PublicUrl + ":443",
            extra: [new("SipHeader_X-Tag", "b"), new("SipHeader_X-Tag", "a")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<Parameter name=\"token\"", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("garbage")]
    [InlineData("other-account")]
    [InlineData("other-url")]
    public async Task VoiceWebhook_BadSignature_403AndNoToken(string kind)
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        var signature = kind switch
        {
            "missing" => "",
            "garbage" => "bm90IGEgc2lnbmF0dXJl",
            "other-account" => FakeTwilio.Sign("another-accounts-token", FakeTwilio.PublicUrl + "/twilio/voice?tenant=a%20b"),
            _ => FakeTwilio.Sign(FakeTwilio.AuthToken, "https://elsewhere.example/twilio/voice?tenant=a%20b"),
        };

        using var response = await scene.Twilio.PostVoiceAsync("CA00000000000000000000000000000002", ct, signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal(0, scene.Bridge.Services.GetRequiredService<VoiceBridge.Telephony.TwilioCallTokens>().Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("bm90IGEgc2lnbmF0dXJl")]
    [InlineData("signed-over-http-url")]
    public async Task MediaUpgrade_BadSignature_403BeforeUpgradeAndNoUpstream(string? signature)
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        if (signature == "signed-over-http-url")
        {
            signature = FakeTwilio.Sign(FakeTwilio.AuthToken, "https://voice.example.test/twilio/media");
        }

        Assert.Equal(HttpStatusCode.Forbidden, await scene.Twilio.RefusedUpgradeAsync(signature, ct));
        Assert.Equal(0, scene.Upstream.HandshakeCount);
    }

    [Fact]
    public async Task MediaStream_TokenOfAnotherCall_Closed1008AndTheTokenIsSpent()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        var token = await scene.Twilio.AnswerAsync("CA0000000000000000000000000000000a", ct);

        await using (var other = await scene.Twilio.ConnectAsync(ct))
        {
            await other.StartAsync("CA0000000000000000000000000000000b", token, ct);
            await other.Closed.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, other.Socket.CloseStatus);
        }

        // Spent on its first use, accepted or not: the right call cannot use it now either.
        await using (var late = await scene.Twilio.ConnectAsync(ct))
        {
            await late.StartAsync("CA0000000000000000000000000000000a", token, ct);
            await late.Closed.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, late.Socket.CloseStatus);
        }

        Assert.Equal(0, scene.Upstream.HandshakeCount);
        Assert.DoesNotContain(token, scene.Bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MediaStream_TokenReplayed_SecondStreamClosed1008()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        const string CallSid = "CA0000000000000000000000000000000c";
        var token = await scene.Twilio.AnswerAsync(CallSid, ct);
        await using var first = await scene.Twilio.ConnectAsync(ct);
        await first.StartAsync(CallSid, token, ct);
        await scene.Upstream.NextConnectionAsync(ct);

        await using var replay = await scene.Twilio.ConnectAsync(ct);
        await replay.StartAsync(CallSid, token, ct);
        await replay.Closed.WaitAsync(ct);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, replay.Socket.CloseStatus);
        Assert.Equal(1, scene.Upstream.HandshakeCount);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task MediaStream_NoOrUnknownToken_Closed1008AndNoUpstream(string? token)
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.Twilio.ConnectAsync(ct);
        await stream.StartAsync("CA0000000000000000000000000000000d", token, ct);
        await stream.Closed.WaitAsync(ct);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, stream.Socket.CloseStatus);
        Assert.Equal(0, scene.Upstream.HandshakeCount);
    }

    [Fact]
    public async Task MediaStream_NoStartWithinTimeout_Closed1008AndNoUpstream()
    {
        var ct = TestTimeout.Token();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, PhoneSettings(), timeProvider: time);
        await using var stream = await new FakeTwilio(bridge.BaseUri).ConnectAsync(ct);
        await stream.SendAsync(new { @event = "connected", protocol = "Call", version = "1.0.0" }, ct);
        await bridge.Logs.WaitForLineAsync(l => l.Contains("waiting 10 s for its start message", StringComparison.Ordinal), ct);

        time.Advance(VoiceBridge.Telephony.TwilioMediaEndpoint.StartTimeout);

        await stream.Closed.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, stream.Socket.CloseStatus);
        Assert.Equal(0, upstream.HandshakeCount);
    }

    private static Dictionary<string, string?> PhoneSettings() => new()
    {
        ["VoiceBridge:Telephony:Twilio:Enabled"] = "true",
        ["VoiceBridge:Telephony:Twilio:AuthToken"] = FakeTwilio.AuthToken,
        ["VoiceBridge:Telephony:Twilio:PublicUrl"] = FakeTwilio.PublicUrl,
    };

    [Fact]
    public async Task Routes_TelephonyDisabled_NotServed()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        using var client = bridge.CreateHttpClient();
        using var response = await client.PostAsync("/twilio/voice", new FormUrlEncodedContent(new Dictionary<string, string> { ["CallSid"] = "CA1" }), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
