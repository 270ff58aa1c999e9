using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>The service's maximum session duration, shortened: the browser learns why and the bridge lets go.</summary>
public sealed class SessionExpiryTests
{
    private const string ExpiryMessage = "Your session hit the maximum duration of 500 milliseconds.";

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task SessionExpiry_SimulatorLimitReached_BrowserGetsSessionExpiredThenClose1001AndRegistryEmpties()
    {
        var ct = Timeout();
        await using var upstream = await FakeUpstream.StartAsync(o => o.MaxSessionDuration = TimeSpan.FromMilliseconds(500));
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);

        Assert.Equal(["session.created", "session.updated", "error"], messages.Select(m => m.EventType));
        var error = messages[^1].Json.GetProperty("error");
        Assert.Equal("session_expired", error.GetProperty("code").GetString());
        Assert.Equal(ExpiryMessage, error.GetProperty("message").GetString());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Socket.CloseStatus);
        Assert.Equal(ExpiryMessage, browser.Socket.CloseStatusDescription);

        await bridge.WaitForNoSessionsAsync(ct);
    }
}
