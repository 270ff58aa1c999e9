using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

/// <summary>
/// Resume over in-memory sockets (CONTRACT.md, "Continuity"): a browser that vanishes detaches the session, what was on
/// its way is kept, in order and byte-bounded, and a new socket presenting the token gets it once, then the live stream.
/// </summary>
public class ResumeTests
{
    private static Action<ContinuityOptions> Continuity(int bufferBytes = 1 << 20) => c =>
    {
        c.ResumeWindow = TimeSpan.FromSeconds(15);
        c.ResumeBufferBytes = bufferBytes;
    };

    [Fact]
    public async Task BrowserVanishes_SessionDetaches_KeptEventsReplayedOnceInOrder_ThenLive()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        var created = Parse(await h.ReceiveTextAsync(h.Browser));
        var token = created.GetProperty("resume_token").GetString()!;
        Assert.Equal(ResumeTokens.TokenChars, token.Length);
        Assert.Equal(15000, created.GetProperty("resume_window_ms").GetInt64());

        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_sessions_detached"));
        for (var i = 1; i <= 3; i++)
        {
            await h.SendTextAsync(h.Upstream, $$"""{"type":"response.output_text.delta","event_id":"up{{i}}","delta":"x"}""");
        }

        await h.WaitUntilAsync(() => h.Session.KeptBytes >= 3 * 60);
        Assert.Equal(WebSocketState.Open, h.Upstream.State);
        Assert.False(h.Session.HasEnded);

        Assert.Same(h.Session, h.ResumeTokens!.Find(token));
        Assert.True(h.ResumeTokens.TryClaim(token, h.Session));
        var (pair, run) = h.Resume();
        var resumed = Parse(await h.ReceiveTextAsync(pair.Client));
        Assert.Equal(BridgeEvents.SessionResumed, resumed.GetProperty("type").GetString());
        Assert.Equal("vb_test", resumed.GetProperty("session_id").GetString());
        Assert.Equal(3, resumed.GetProperty("replayed_events").GetInt32());
        var next = resumed.GetProperty("resume_token").GetString()!;
        Assert.NotEqual(token, next);
        for (var i = 1; i <= 3; i++)
        {
            Assert.Contains($"\"up{i}\"", await h.ReceiveTextAsync(pair.Client));
        }

        await h.SendTextAsync(h.Upstream, """{"type":"response.done","event_id":"up4"}""");
        Assert.Contains("\"up4\"", await h.ReceiveTextAsync(pair.Client));
        await h.SendTextAsync(pair.Client, """{"type":"response.create","event_id":"b1"}""");
        Assert.Contains("\"b1\"", await h.ReceiveTextAsync(h.Upstream));
        Assert.Equal("open", h.Session.StateName);
        Assert.Null(h.ResumeTokens.Find(token));
        Assert.Same(h.Session, h.ResumeTokens.Find(next));
        var metrics = h.Metrics.Parse();
        Assert.Equal(0, metrics.Value("voicebridge_sessions_detached"));
        Assert.Equal(1, metrics.Value("voicebridge_resumes_total", ("outcome", "resumed")));

        await pair.Client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", h.Token);
        var outcome = await h.FinishAsync();
        Assert.Equal(SessionOutcome.BrowserClosed, outcome.Reason);
        Assert.Equal(ResumeResult.Attached, await run.WaitAsync(h.Token));
        Assert.Null(h.ResumeTokens.Find(next));
    }

    [Fact]
    public async Task ResumedSocketVanishesToo_DetachesAgain_AndTheNewTokenResumes()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        var token = Parse(await h.ReceiveTextAsync(h.Browser)).GetProperty("resume_token").GetString()!;
        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");
        Assert.True(h.ResumeTokens!.TryClaim(token, h.Session));
        var (first, firstRun) = h.Resume();
        var second = Parse(await h.ReceiveTextAsync(first.Client)).GetProperty("resume_token").GetString()!;
        Assert.Equal(0, h.Metrics.Parse().Value("voicebridge_sessions_detached"));

        first.Vanish(first.Client);
        await firstRun.WaitAsync(h.Token);
        Assert.Equal("detached", h.Session.StateName);
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_sessions_detached"));
        await h.SendTextAsync(h.Upstream, """{"type":"response.created","event_id":"kept"}""");
        await h.WaitUntilAsync(() => h.Session.KeptBytes > 0);
        Assert.False(h.ResumeTokens.TryClaim(token, h.Session));
        Assert.True(h.ResumeTokens.TryClaim(second, h.Session));
        var (again, _) = h.Resume();
        Assert.Equal(1, Parse(await h.ReceiveTextAsync(again.Client)).GetProperty("replayed_events").GetInt32());
        Assert.Contains("\"kept\"", await h.ReceiveTextAsync(again.Client));
    }

    [Fact]
    public async Task UpstreamDropsWhileDetached_IsReplaced_TheResumedBrowserGetsTheFailedResponseTheBridgeEventAndWhatFollowed()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        var token = Parse(await h.ReceiveTextAsync(h.Browser)).GetProperty("resume_token").GetString()!;
        var first = await h.NextDialAsync();
        await h.SendTextAsync(first.Server, """{"type":"response.created","response":{"id":"resp_1","status":"in_progress"}}""");
        Assert.Equal("response.created", Type(await h.ReceiveTextAsync(h.Browser)));
        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");

        // Both legs gone at once: the call waits for the browser on a new upstream connection.
        first.Vanish(first.Server);
        var second = await h.NextDialAsync();
        Assert.Contains("event_voicebridge_session", await h.ReceiveTextAsync(second.Server));
        await h.SendTextAsync(second.Server, """{"type":"rate_limits.updated","event_id":"after"}""");
        await h.WaitUntilAsync(() => h.Session.KeptEvents >= 2);
        Assert.Equal("detached", h.Session.StateName);
        Assert.Null(h.Session.Outcome);

        Assert.True(h.ResumeTokens!.TryClaim(token, h.Session));
        var (pair, _) = h.Resume();
        Assert.Equal(2, Parse(await h.ReceiveTextAsync(pair.Client)).GetProperty("replayed_events").GetInt32());
        var done = Parse(await h.ReceiveTextAsync(pair.Client));
        Assert.Equal(("response.done", "resp_1", "failed"), (Type(done), done.GetProperty("response").GetProperty("id").GetString(), done.GetProperty("response").GetProperty("status").GetString()));

        // The bridge event and what the new connection sent first are queued by two loops: either may come first.
        var rest = new[] { await h.ReceiveTextAsync(pair.Client), await h.ReceiveTextAsync(pair.Client) };
        Assert.Single(rest, r => Type(r) == "bridge.upstream.reconnected");
        Assert.Single(rest, r => r.Contains("\"after\"", StringComparison.Ordinal));

        // And the call goes on, on the new connection.
        await h.SendTextAsync(pair.Client, """{"type":"response.create","event_id":"next_turn"}""");
        Assert.Contains("next_turn", await h.ReceiveTextAsync(second.Server));
    }

    [Fact]
    public async Task UpgradeFailsDuringAResume_StillDetached_KeptEventsWaitForTheNextOne()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);
        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");
        await h.SendTextAsync(h.Upstream, """{"type":"response.created","event_id":"k1"}""");
        await h.WaitUntilAsync(() => h.Session.KeptBytes > 0);
        var keptBefore = h.Session.KeptBytes;

        await Assert.ThrowsAsync<WebSocketException>(() => h.Session.ResumeAsync(() => throw new WebSocketException("handshake failed"), "127.0.0.1", h.Token));
        Assert.Equal("detached", h.Session.StateName);
        await h.SendTextAsync(h.Upstream, """{"type":"response.done","event_id":"k2"}""");
        await h.WaitUntilAsync(() => h.Session.KeptBytes > keptBefore);

        var (pair, _) = h.Resume();
        Assert.Equal(2, Parse(await h.ReceiveTextAsync(pair.Client)).GetProperty("replayed_events").GetInt32());
        Assert.Contains("\"k1\"", await h.ReceiveTextAsync(pair.Client));
        Assert.Contains("\"k2\"", await h.ReceiveTextAsync(pair.Client));
    }

    [Fact]
    public async Task ResumeWhileTheOldSocketLooksAlive_ReplacesIt_OldClosedWith1000()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);

        var (pair, _) = h.Resume();
        var (texts, status, _) = await h.ReadToCloseAsync(h.Browser);
        Assert.Empty(texts);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(0, Parse(await h.ReceiveTextAsync(pair.Client)).GetProperty("replayed_events").GetInt32());
        await h.SendTextAsync(h.Upstream, """{"type":"response.created","event_id":"live"}""");
        Assert.Contains("\"live\"", await h.ReceiveTextAsync(pair.Client));
        Assert.False(h.Session.HasEnded);
    }

    [Fact]
    public async Task NotResumedWithinTheWindow_EndsResumeExpired_UpstreamClosed1000_TokenGone()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        var token = Parse(await h.ReceiveTextAsync(h.Browser)).GetProperty("resume_token").GetString()!;
        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");

        h.Time.Advance(TimeSpan.FromSeconds(14));
        Assert.False(h.Session.HasEnded);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var (_, status, description) = await h.ReadToCloseAsync(h.Upstream);
        var outcome = await h.FinishAsync();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(SessionEnding.ClientDidNotResume, description);
        Assert.Equal(SessionOutcome.ResumeExpired, outcome.Reason);
        Assert.Equal(SessionSide.Browser, outcome.EndedBy);
        Assert.Null(h.ResumeTokens!.Find(token));
        var metrics = h.Metrics.Parse();
        Assert.Equal(0, metrics.Value("voicebridge_sessions_detached"));
        Assert.Equal(1, metrics.Value("voicebridge_resumes_total", ("outcome", "expired")));
    }

    [Fact]
    public async Task KeptEventsOutgrowTheBuffer_EndsResumeOverflow_NothingMoreIsKept()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity(bufferBytes: 2000));
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);
        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");

        var padding = new string('a', 600);
        for (var i = 0; i < 4; i++)
        {
            await h.SendTextAsync(h.Upstream, $$"""{"type":"response.output_text.delta","event_id":"e{{i}}","delta":"{{padding}}"}""");
        }

        var (_, status, _) = await h.ReadToCloseAsync(h.Upstream);
        var outcome = await h.FinishAsync();
        Assert.Equal(SessionOutcome.ResumeOverflow, outcome.Reason);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_resumes_total", ("outcome", "overflow")));
    }

    [Fact]
    public async Task CapsHoldWhileDetached_IdleTimeoutEndsTheSession()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);
        h.BrowserPair.Vanish(h.BrowserPair.Client);
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");

        h.Time.Advance(TimeSpan.FromSeconds(6));
        h.Session.EnforceLimits(h.Time.GetTimestamp(), TimeSpan.FromHours(1), TimeSpan.FromSeconds(5));
        var outcome = await h.FinishAsync();

        Assert.Equal(BridgeErrors.IdleTimeout, outcome.Reason);
        var metrics = h.Metrics.Parse();
        Assert.Equal(0, metrics.Value("voicebridge_sessions_detached"));
        Assert.Equal(1, metrics.Value("voicebridge_resumes_total", ("outcome", "ended")));
    }

    [Fact]
    public async Task RequestAborted_DetachesInsteadOfEnding()
    {
        using var aborted = new CancellationTokenSource();
        await using var h = new SessionHarness(bridgeEvents: true, requestAborted: aborted.Token, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);

        await aborted.CancelAsync();
        await h.WaitUntilAsync(() => h.Session.StateName == "detached");
        Assert.False(h.Session.HasEnded);
    }

    [Fact]
    public async Task BrowserClosesWithACloseFrame_HasHungUp_NoResume()
    {
        await using var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: Continuity());
        await h.StartConnectedAsync();
        var token = Parse(await h.ReceiveTextAsync(h.Browser)).GetProperty("resume_token").GetString()!;

        await h.Browser.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", h.Token);
        var outcome = await h.FinishAsync();

        Assert.Equal(SessionOutcome.BrowserClosed, outcome.Reason);
        Assert.Null(h.ResumeTokens!.Find(token));
        Assert.Equal(ResumeResult.SessionGone, await h.Session.ResumeAsync(() => throw new InvalidOperationException("no upgrade"), "127.0.0.1", h.Token));
    }

    [Fact]
    public async Task WithoutBridgeEvents_OrWithAZeroWindow_ThereIsNoTokenAndAVanishedBrowserEndsTheCall()
    {
        await using (var h = new SessionHarness(bridgeEvents: true, resume: true, continuity: c => c.ResumeWindow = TimeSpan.Zero))
        {
            await h.StartConnectedAsync();
            Assert.False(Parse(await h.ReceiveTextAsync(h.Browser)).TryGetProperty("resume_token", out _));
            h.BrowserPair.Vanish(h.BrowserPair.Client);
            Assert.Equal(SessionOutcome.BrowserDisconnected, (await h.FinishAsync()).Reason);
        }

        await using (var h = new SessionHarness(resume: true, continuity: Continuity()))
        {
            await h.StartConnectedAsync();
            h.BrowserPair.Vanish(h.BrowserPair.Client);
            Assert.Equal(SessionOutcome.BrowserDisconnected, (await h.FinishAsync()).Reason);
            Assert.Equal(0, h.ResumeTokens!.Count);
        }
    }

    private static string? Type(string json) => Type(Parse(json));

    private static string? Type(JsonElement e) => e.GetProperty("type").GetString();

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
