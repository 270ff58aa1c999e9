using System.Text;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Configuration;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

/// <summary>The pieces of reconnect without a session: the merge of the browser's changes, hostile JSON, the priming.</summary>
public sealed class UpstreamContinuityTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly WebSocketPair _pair = WebSocketPair.Create();

    public void Dispose() => _pair.Dispose();

    [Fact]
    public void BrowserSessionUpdates_MergedLikeGA_NestedObjectsMergedValuesReplaced()
    {
        var continuity = Create(out _);
        continuity.RememberBrowserSessionUpdate("""{"type":"session.update","session":{"type":"realtime","audio":{"output":{"voice":"marin","speed":1.1}}}}"""u8);
        continuity.RememberBrowserSessionUpdate("""{"type":"session.update","session":{"audio":{"output":{"speed":1.3}},"tools":[]}}"""u8);

        var priming = continuity.Prime(_pair.Client, []);

        var merged = Encoding.UTF8.GetString(Assert.Single(priming.Frames).Span);
        Assert.Contains("""
            "session":{"type":"realtime","audio":{"output":{"voice":"marin","speed":1.3}},"tools":[]}
            """.Trim(), merged);
        Assert.Equal(1, priming.SessionUpdates);
    }

    [Theory]
    [InlineData("""{"type":"session.update","session":{"voice":"a","voice":"b"}}""")]
    [InlineData("""{"type":"session.update","session":{"instructions":"\uD800"}}""")]
    [InlineData("""{"type":"session.update","session":[1,2]}""")]
    [InlineData("""{"type":"session.update","session":""")]
    public void HostileJson_TeachesNothing_NeverThrows(string json)
    {
        var continuity = Create(out var record);
        var bytes = Encoding.UTF8.GetBytes(json);

        continuity.RememberBrowserSessionUpdate(bytes);
        record.OnBrowserItemCreate(bytes);
        record.OnUpstreamEvent("conversation.item.added"u8, bytes);
        Assert.True(continuity.Admit(_pair.Client, bytes));
        Assert.False(continuity.RefersToEarlierConnection(bytes));
    }

    [Fact]
    public void DuplicateKeysInAnItem_DoNotBreakTheRecord()
    {
        var record = new ConversationRecord(_time);
        record.OnBrowserItemCreate("""{"type":"conversation.item.create","item":{"role":"user","role":"user","content":[{"type":"input_text","text":"\uD800"}]}}"""u8);
        record.OnUpstreamEvent("conversation.item.added"u8, """{"type":"conversation.item.added","item":{"id":"x","id":"y","role":"user","content":[]}}"""u8);
    }

    [Fact]
    public void RolloverTimer_FiresAtTheDeadline_MovesWithExpiresAtAndANewConnection_StopsForGood()
    {
        var continuity = Create(out _);
        var fired = new List<bool>();
        continuity.StartRolloverTimer(_ => fired.Add(continuity.IsRolloverDue()), fired);

        // Learned 10 minutes in: expires 20 minutes later, so due 5 minutes before that (25 minutes in), not at 55.
        _time.Advance(TimeSpan.FromMinutes(10));
        var expiresAt = _time.GetUtcNow().AddMinutes(20).ToUnixTimeSeconds();
        Assert.True(continuity.Admit(_pair.Client, Encoding.UTF8.GetBytes($$$"""{"type":"session.created","session":{"expires_at":{{{expiresAt}}}}}""")));
        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.Empty(fired);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([true], fired);

        // A new connection: its own clock, no expiry known yet.
        continuity.ConnectionStarted(null);
        _time.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal([true], fired);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([true, true], fired);

        continuity.ConnectionStarted(null);
        continuity.StopRollover();
        continuity.ArmRollover();
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal([true, true], fired);
    }

    private UpstreamContinuity Create(out ConversationRecord record)
    {
        record = new ConversationRecord(_time);
        return new UpstreamContinuity(new ContinuityOptions(), SessionShape.GA, record, _time);
    }
}
