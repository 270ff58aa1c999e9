using System.Net.WebSockets;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

/// <summary>The ending table, row by row: what each first cause sends to the browser and to the upstream.</summary>
public class SessionEndingTests
{
    public static TheoryData<string, string, string, string?, int?, string, bool, string> Rows => new()
    {
        // trigger, ended by, reason, error code, browser close (null = abort / already sent), upstream close, browser close waits for the queue, grace
        { nameof(EndTrigger.BrowserVanished), "Browser", "browser_disconnected", null, null, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.BrowserProtocolError), "Browser", "browser_protocol_error", null, null, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.BrowserMessageTooBig), "Bridge", "message_too_big", "message_too_big", 1009, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.UpstreamVanished), "Upstream", "upstream_disconnected", "upstream_disconnected", 1011, "Abort", true, "DrainThenClose" },
        { nameof(EndTrigger.UpstreamMessageTooBig), "Upstream", "upstream_disconnected", "upstream_disconnected", 1011, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.SlowConsumer), "Bridge", "slow_consumer", "slow_consumer", 1008, "Close 1000 now", false, "KeepAlive" },
        { nameof(EndTrigger.IdleTimeout), "Bridge", "idle_timeout", "idle_timeout", 1000, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.SessionExpired), "Bridge", "session_expired", "session_expired", 1000, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.EndedByOperator), "Bridge", "session_ended_by_operator", "session_ended_by_operator", 1000, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.ServerShuttingDown), "Bridge", "server_shutting_down", "server_shutting_down", 1001, "Close 1000 now", false, "Close" },
        { nameof(EndTrigger.InternalError), "Bridge", "internal_error", "internal_error", 1011, "Close 1000 now", false, "Close" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decide_EachRow(string trigger, string endedBy, string reason, string? errorCode, int? browserClose, string upstream, bool drainFirst, string grace)
    {
        var plan = SessionEnding.Decide(new SessionEndCause(Enum.Parse<EndTrigger>(trigger)));

        Assert.Equal(endedBy, plan.EndedBy.ToString());
        Assert.Equal(reason, plan.Reason);
        Assert.Equal(errorCode, plan.ErrorCode);
        Assert.Equal(browserClose, plan.Browser.Kind == LegCloseKind.Close ? (int)plan.Browser.Status : null);
        Assert.Equal(browserClose, plan.BrowserCloseStatus is { } status ? (int)status : null);
        Assert.Equal(upstream, Describe(plan.Upstream));
        Assert.Equal(drainFirst, plan.DeliverQueuedFirst);
        Assert.Equal(grace, plan.BrowserGrace.ToString());
        if (errorCode is not null)
        {
            // The close reason names the code, so a client that misses the error event still learns it.
            Assert.Equal(errorCode, plan.Browser.Description);
        }
    }

    [Fact]
    public void Decide_BrowserVanished_AbortsTheBrowser_ProtocolError_LeavesItsOwnCloseAlone()
    {
        Assert.Equal(LegCloseKind.Abort, SessionEnding.Decide(new(EndTrigger.BrowserVanished)).Browser.Kind);
        Assert.Equal(LegCloseKind.AlreadySent, SessionEnding.Decide(new(EndTrigger.BrowserProtocolError)).Browser.Kind);
    }

    [Theory]
    [InlineData(1000, "done", 1000, "done")]
    [InlineData(4001, "app", 4001, "app")]
    [InlineData(1005, null, 1000, null)]
    [InlineData(1015, "tls", 1000, null)]
    [InlineData(null, null, 1000, null)]
    public void Decide_BrowserClosed_EchoesWhatMayBeSent_UpstreamGets1000AfterTheQueue(int? code, string? description, int echoed, string? echoedDescription)
    {
        var plan = SessionEnding.Decide(new(EndTrigger.BrowserClosed, (WebSocketCloseStatus?)code, description));

        Assert.Equal(SessionOutcome.BrowserClosed, plan.Reason);
        Assert.Null(plan.ErrorCode);
        Assert.Equal((WebSocketCloseStatus)echoed, plan.Browser.Status);
        Assert.Equal(echoedDescription, plan.Browser.Description);
        Assert.True(plan.Browser.Now);
        Assert.Equal("Close 1000 after drain", Describe(plan.Upstream));
        Assert.Equal(SessionEnding.ClientClosed, plan.Upstream.Description);
        Assert.Equal((WebSocketCloseStatus?)code, plan.BrowserCloseStatus);
    }

    [Theory]
    [InlineData(1001, "going away", 1001, "going away")]
    [InlineData(4000, "custom", 4000, "custom")]
    [InlineData(1006, null, 1011, "upstream closed with code 1006")]
    [InlineData(null, null, 1000, null)]
    public void Decide_UpstreamClosed_BrowserGetsTheMappedCodeAfterTheQueuedAudio(int? code, string? description, int mapped, string? mappedDescription)
    {
        var plan = SessionEnding.Decide(new(EndTrigger.UpstreamClosed, (WebSocketCloseStatus?)code, description));

        Assert.Equal(SessionOutcome.UpstreamClosed, plan.Reason);
        Assert.Equal(SessionSide.Upstream, plan.EndedBy);
        Assert.Null(plan.ErrorCode);
        Assert.Equal((WebSocketCloseStatus)mapped, plan.Browser.Status);
        Assert.Equal(mappedDescription, plan.Browser.Description);
        Assert.False(plan.Browser.Now);
        Assert.Equal(CloseGrace.DrainThenClose, plan.BrowserGrace);
        Assert.Equal("Close 1000 now", Describe(plan.Upstream));
    }

    [Theory]
    [InlineData("upstream_auth_failed", 1011)]
    [InlineData("upstream_rate_limited", 1013)]
    [InlineData("upstream_unavailable", 1013)]
    public void Decide_UpstreamConnectFailed_TheDialsOwnError(string code, int close)
    {
        var plan = SessionEnding.Decide(new(EndTrigger.UpstreamConnectFailed, ErrorCode: code));
        Assert.Equal(SessionSide.Upstream, plan.EndedBy);
        Assert.Equal(code, plan.Reason);
        Assert.Equal(code, plan.ErrorCode);
        Assert.Equal((WebSocketCloseStatus)close, plan.Browser.Status);
        Assert.True(plan.Browser.Now);
    }

    [Fact]
    public void Decide_Operator_CarriesTheOperatorsReason()
    {
        var plan = SessionEnding.Decide(new(EndTrigger.EndedByOperator, Message: "fraud"));
        Assert.Equal("fraud", plan.ErrorMessage);
    }

    [Theory]
    [InlineData("Browser", nameof(LegEnd.PeerClosed), nameof(EndTrigger.BrowserClosed))]
    [InlineData("Browser", nameof(LegEnd.PeerVanished), nameof(EndTrigger.BrowserVanished))]
    [InlineData("Browser", nameof(LegEnd.ProtocolError), nameof(EndTrigger.BrowserProtocolError))]
    [InlineData("Browser", nameof(LegEnd.MessageTooBig), nameof(EndTrigger.BrowserMessageTooBig))]
    [InlineData("Browser", nameof(LegEnd.Fault), nameof(EndTrigger.InternalError))]
    [InlineData("Upstream", nameof(LegEnd.PeerClosed), nameof(EndTrigger.UpstreamClosed))]
    [InlineData("Upstream", nameof(LegEnd.PeerVanished), nameof(EndTrigger.UpstreamVanished))]
    [InlineData("Upstream", nameof(LegEnd.ProtocolError), nameof(EndTrigger.UpstreamVanished))]
    [InlineData("Upstream", nameof(LegEnd.MessageTooBig), nameof(EndTrigger.UpstreamMessageTooBig))]
    [InlineData("Upstream", nameof(LegEnd.Fault), nameof(EndTrigger.InternalError))]
    public void From_LegResult_NamesTheTrigger(string leg, string end, string trigger)
    {
        var cause = SessionEndCause.From(Enum.Parse<SessionSide>(leg), new LegResult(Enum.Parse<LegEnd>(end)));
        Assert.Equal(trigger, cause.Trigger.ToString());
    }

    private static string Describe(LegClose close) => close.Kind switch
    {
        LegCloseKind.Close => $"Close {(int)close.Status} {(close.Now ? "now" : "after drain")}",
        _ => close.Kind.ToString(),
    };
}
