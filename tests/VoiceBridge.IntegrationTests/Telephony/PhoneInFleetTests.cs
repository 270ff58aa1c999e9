using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task WebhookOnOneNode_MediaOnAnother_CallRuns_AndTheTokenIsSpentForEveryNode()
    {
        var ct = TestTimeout.Token(40);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        (string, string)[] settings = [.. Settings.Where(s => s.Item1 != "VoiceBridge:Cluster:MaxFleetSessions")];
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, settings);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, settings);
        var toA = new FakeTwilio(a.BaseUri);
        var toB = new FakeTwilio(b.BaseUri);

        // The load balancer sent the webhook to A and the media socket to B.
        var token = await toA.AnswerAsync("CA0000000000000000000000000000f003", ct);
        await using var call = await toB.ConnectAsync(ct);
        await call.StartAsync("CA0000000000000000000000000000f003", token, ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await call.SendMediaAsync(Convert.ToBase64String(new byte[160]), ct);
        await PhoneScene.WaitForUpstreamAsync(connection, e => PhoneScene.IsType(e, "input_audio_buffer.append"), ct);

        // Spent for the whole fleet: replayed on A, it opens nothing.
        await using (var replay = await toA.ConnectAsync(ct))
        {
            await replay.StartAsync("CA0000000000000000000000000000f003", token, ct);
            await replay.Closed.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, replay.Socket.CloseStatus);
        }

        // Bound to its call across nodes too.
        var other = await toA.AnswerAsync("CA0000000000000000000000000000f004", ct);
        await using (var wrongCall = await toB.ConnectAsync(ct))
        {
            await wrongCall.StartAsync("CA0000000000000000000000000000f005", other, ct);
            await wrongCall.Closed.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, wrongCall.Socket.CloseStatus);
        }

        Assert.Equal(1, upstream.HandshakeCount);
        Assert.Equal(0, a.Services.GetRequiredService<VoiceBridge.Telephony.TwilioCallTokens>().Count);
    }
}
