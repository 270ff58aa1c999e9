using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Diagnostics;

/// <summary>The numbers an operator watches move when a real conversation runs through the bridge.</summary>
public sealed class SessionMetricsTests
{
    [Fact]
    public async Task Conversation_MovesFramesBytesLatencyTokensErrorsAndSessionCounts()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Session:TurnDetection"] = "none" });
        using var http = bridge.CreateHttpClient();

        await using (var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct))
        {
            await browser.WaitForEventAsync("session.updated", ct);
            var pcm = new byte[9600];
            new Random(1).NextBytes(pcm);
            await browser.SendBinaryAsync(pcm, ct);
            await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
            await browser.SendTextAsync("""{"type":"response.create"}""", ct);
            await browser.WaitForEventAsync("response.done", ct);
            await browser.SendTextAsync("not json", ct);
            await browser.WaitForEventAsync("error", ct);

            var during = ScrapedMetrics.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct));
            Assert.Equal(1, during.Value("voicebridge_sessions_active"));
        }

        await bridge.WaitForNoSessionsAsync(ct);
        var after = ScrapedMetrics.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct));

        Assert.Equal(0, after.Value("voicebridge_sessions_active"));
        Assert.Equal(1, after.Value("voicebridge_sessions_total", ("outcome", "browser_closed")));
        Assert.Equal(1, after.Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "binary")));
        Assert.True(after.Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "text")) >= 2);
        Assert.True(after.Value("voicebridge_frames_total", ("direction", "outbound"), ("kind", "text")) >= 10);
        Assert.True(after.Value("voicebridge_bytes_total", ("direction", "inbound")) >= 9600);
        Assert.True(after.Value("voicebridge_bytes_total", ("direction", "outbound")) > 9600);
        Assert.Equal(1, after.Value("voicebridge_upstream_connect_seconds_count"));
        Assert.Equal(1, after.Value("voicebridge_first_audio_seconds_count"));
        Assert.True(after.Value("voicebridge_tokens_total", ("kind", "output_audio")) > 0);
        Assert.Equal(1, after.Value("voicebridge_errors_total", ("code", "invalid_event")));

        // The closing log line carries the session's whole account.
        var closed = Assert.Single(bridge.Logs.Lines, l => l.Contains("[11]", StringComparison.Ordinal));
        Assert.Contains("Browser ended first (browser_closed)", closed, StringComparison.Ordinal);
        Assert.Contains("/ 0.20 s audio, to browser", closed, StringComparison.Ordinal);
        Assert.Contains("1 responses", closed, StringComparison.Ordinal);
        Assert.Contains("first audio over 1 turns", closed, StringComparison.Ordinal);
        Assert.Matches(@"tokens in [1-9]\d* out [1-9]\d*", closed);
        Assert.Matches(@"AudioSecondsOut=0\.[1-9]|AudioSecondsOut=[1-9]", closed);
    }

    [Fact]
    public async Task FailedConnect_CountsTheFailureByCode()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RejectNext(int.MaxValue, 401);
        await using var bridge = new BridgeApp(upstream.Url);
        using var http = bridge.CreateHttpClient();

        await using (var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct))
        {
            await browser.ReadUntilClosedAsync(ct);
        }

        await bridge.WaitForNoSessionsAsync(ct);
        var metrics = ScrapedMetrics.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct));
        Assert.Equal(1, metrics.Value("voicebridge_upstream_connect_failures_total", ("code", "upstream_auth_failed")));
        Assert.Equal(1, metrics.Value("voicebridge_sessions_total", ("outcome", "upstream_auth_failed")));
    }
}
