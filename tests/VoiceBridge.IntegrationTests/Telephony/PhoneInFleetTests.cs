using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>A phone call in a fleet (CONTRACT.md, "Fleet" and "Telephony"): it takes its place under the fleet's cap like a browser's.</summary>
public sealed class PhoneInFleetTests
{
    private static readonly (string, string)[] Settings =
    [
        ("VoiceBridge:Cluster:MaxFleetSessions", "1"),
        ("VoiceBridge:Telephony:Twilio:Enabled", "true"),
        ("VoiceBridge:Telephony:Twilio:AuthToken", FakeTwilio.AuthToken),
        ("VoiceBridge:Telephony:Twilio:PublicUrl", FakeTwilio.PublicUrl),
    ];

    [Fact]
    public async Task FleetFull_PhoneCallOnAnotherNode_RefusedWithNoUpstream_ThenAdmittedOnceAPlaceIsFree()
    {
        var ct = TestTimeout.Token(40);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, Settings);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, Settings);
        var twilio = new FakeTwilio(b.BaseUri);

        // The fleet's one place is a browser's on node A.
        var browser = await BrowserClient.ConnectAsync(a.VoiceUri(), ct);
        await upstream.NextConnectionAsync(ct);

        await using (var refused = await twilio.ConnectAsync(ct))
        {
            await refused.StartAsync("CA0000000000000000000000000000f001", await twilio.AnswerAsync("CA0000000000000000000000000000f001", ct), ct);
            await refused.Closed.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, refused.Socket.CloseStatus);
        }

        Assert.Equal(1, upstream.HandshakeCount);

        await browser.DisposeAsync();
        await a.WaitForNoSessionsAsync(ct);

        // The place freed on node A serves a phone call on node B, which then holds it against a browser on A.
        await using var call = await twilio.ConnectAsync(ct);
        await call.StartAsync("CA0000000000000000000000000000f002", await twilio.AnswerAsync("CA0000000000000000000000000000f002", ct), ct);
        await upstream.NextConnectionAsync(ct);
        await using var late = await RawWebSocketClient.ConnectAsync(a.VoiceUri(), ct);
        Assert.Equal(503, late.Status);
        Assert.Contains("server_busy", await late.ReadBodyAsync(ct), StringComparison.Ordinal);
    }
}
