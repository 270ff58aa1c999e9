using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Hosting;

/// <summary>Every log line written during a session carries its SessionId, so one filter collects a whole call.</summary>
public sealed class SessionLogScopeTests
{
    [Fact]
    public async Task UpstreamRefusal_LinesWithoutTheIdInTheirText_CarryTheSessionIdProperty()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        upstream.RejectNext(int.MaxValue, 401);

        await using (var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct))
        {
            await browser.ReadUntilClosedAsync(ct);
        }

        await bridge.WaitForNoSessionsAsync(ct);
        var opened = await bridge.Logs.WaitForLineAsync(l => l.Contains("[10] Session vb_", StringComparison.Ordinal), ct);
        var sessionId = opened.Split(' ')[4];
        var refused = await bridge.Logs.WaitForLineAsync(l => l.Contains("[22] Upstream connect failed", StringComparison.Ordinal), ct);
        Assert.DoesNotContain(sessionId, refused.Split(" SessionId=")[0], StringComparison.Ordinal);
        Assert.Contains($" SessionId={sessionId} ", refused, StringComparison.Ordinal);
    }
}
