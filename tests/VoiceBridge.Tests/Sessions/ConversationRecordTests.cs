using System.Text;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

public sealed class ConversationRecordTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void AudioTurns_TranscriptsFillTheEntries_InConversationOrder()
    {
        var record = new ConversationRecord(_time);
        Upstream(record, """{"type":"conversation.item.added","item":{"id":"item_u1","type":"message","role":"user","content":[{"type":"input_audio","transcript":null}]}}""");
        Upstream(record, """{"type":"conversation.item.added","item":{"id":"item_a1","type":"message","role":"assistant","content":[]}}""");
        Upstream(record, """{"type":"response.output_audio_transcript.done","item_id":"item_a1","transcript":"Hi there."}""");
        _time.Advance(TimeSpan.FromSeconds(1));
        Upstream(record, """{"type":"conversation.item.input_audio_transcription.completed","item_id":"item_u1","transcript":"Hello?"}""");

        var entries = record.Snapshot();
        Assert.Equal([(ConversationRole.User, "item_u1", "Hello?"), (ConversationRole.Assistant, "item_a1", "Hi there.")], entries.Select(e => (e.Role, e.ItemId, e.Text)));
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(1), entries[0].At);
    }

    [Fact]
    public void TypedMessage_RecordedWhenSent_ConfirmedByTheUpstreamsAck()
    {
        var record = new ConversationRecord(_time);
        record.OnBrowserItemCreate("""{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Book a table"}]}}"""u8);

        Assert.False(Assert.Single(record.Snapshot()).Confirmed);
        Assert.Empty(record.ForReplay(50));

        Upstream(record, """{"type":"conversation.item.added","item":{"id":"item_t1","type":"message","role":"user","content":[{"type":"input_text","text":"Book a table"}]}}""");
        var entry = Assert.Single(record.Snapshot());
        Assert.True(entry.Confirmed);
        Assert.Equal("item_t1", entry.ItemId);
        Assert.Single(record.ForReplay(50));
    }

    [Fact]
    public void TextResponse_OutputTextAndItemDone_SetTheAssistantText()
    {
        var record = new ConversationRecord(_time);
        Upstream(record, """{"type":"conversation.item.created","item":{"id":"a","type":"message","role":"assistant","content":[]}}""");
        Upstream(record, """{"type":"response.output_text.done","item_id":"a","text":"Sure."}""");
        Upstream(record, """{"type":"conversation.item.added","item":{"id":"b","type":"message","role":"assistant","content":[]}}""");
        Upstream(record, """{"type":"response.output_item.done","item":{"id":"b","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"Done."}]}}""");

        Assert.Equal(["Sure.", "Done."], record.Snapshot().Select(e => e.Text));
    }

    [Fact]
    public void OutOfBandResponse_ItemNeverAddedToTheConversation_IsNotRecorded()
    {
        var record = new ConversationRecord(_time);
        Upstream(record, """{"type":"response.output_item.done","item":{"id":"oob","type":"message","role":"assistant","content":[{"type":"output_text","text":"x"}]}}""");
        Upstream(record, """{"type":"response.output_audio_transcript.done","item_id":"oob","transcript":"x"}""");

        Assert.Equal(0, record.Count);
    }

    [Fact]
    public void DeletedItem_LeavesTheRecord()
    {
        var record = new ConversationRecord(_time);
        Upstream(record, """{"type":"conversation.item.added","item":{"id":"u","type":"message","role":"user","content":[{"type":"input_text","text":"a"}]}}""");
        Upstream(record, """{"type":"conversation.item.deleted","item_id":"u"}""");

        Assert.Equal(0, record.Count);
    }

    [Fact]
    public void ToolCalls_PendingUntilTheirOutput_ReplayedAsCallAndOutputTogether()
    {
        var record = new ConversationRecord(_time);
        Upstream(record, """{"type":"conversation.item.added","item":{"id":"u","type":"message","role":"user","content":[{"type":"input_text","text":"Where is my order?"}]}}""");
        record.AddToolCall("call_1", "lookup_order", """{"id":"7"}""", _time.GetUtcNow());
        Assert.True(record.HasPendingToolCall);

        record.AddToolOutput("call_1", """{"status":"shipped"}""", "ok", _time.GetUtcNow());
        Assert.False(record.HasPendingToolCall);
        var tool = record.Snapshot()[^1];
        Assert.Equal((ConversationRole.Tool, "call_1", "lookup_order", """{"status":"shipped"}""", "ok"), (tool.Role, tool.CallId, tool.Name, tool.Output, tool.Outcome));

        // Two items' worth: the call and its output, never the output alone.
        Assert.Equal([ConversationRole.Tool], record.ForReplay(2).Select(e => e.Role));
        Assert.Equal([ConversationRole.User, ConversationRole.Tool], record.ForReplay(3).Select(e => e.Role));
        Assert.Empty(record.ForReplay(1));
    }

    [Fact]
    public void ForReplay_TakesTheLastItems_SkipsTurnsWithoutText()
    {
        var record = new ConversationRecord(_time);
        for (var i = 0; i < 10; i++)
        {
            Upstream(record, $$$"""{"type":"conversation.item.added","item":{"id":"u{{{i}}}","type":"message","role":"user","content":[{"type":"input_text","text":"t{{{i}}}"}]}}""");
        }

        Upstream(record, """{"type":"conversation.item.added","item":{"id":"silent","type":"message","role":"user","content":[{"type":"input_audio"}]}}""");

        Assert.Equal(["t7", "t8", "t9"], record.ForReplay(3).Select(e => e.Text));
        Assert.Empty(record.ForReplay(0));
    }

    [Fact]
    public void Capacity_DropsTheOldestEntries()
    {
        var record = new ConversationRecord(_time, capacity: 5);
        for (var i = 0; i < 12; i++)
        {
            record.AddToolCall($"call_{i}", "t", "{}", _time.GetUtcNow());
        }

        Assert.Equal(["call_7", "call_8", "call_9", "call_10", "call_11"], record.Snapshot().Select(e => e.CallId));
    }

    [Fact]
    public void OtherEvents_AndMalformedOnes_TeachNothing()
    {
        var record = new ConversationRecord(_time);
        Upstream(record, """{"type":"response.output_audio_transcript.delta","item_id":"a","delta":"x"}""");
        Upstream(record, """{"type":"conversation.item.added","item":""");
        record.OnBrowserItemCreate("""{"type":"conversation.item.create","item":{"type":"message","role":"system","content":[{"type":"input_text","text":"x"}]}}"""u8);

        Assert.Equal(0, record.Count);
    }

    private static void Upstream(ConversationRecord record, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        if (VoiceBridge.Realtime.RealtimeCodec.TryReadType(bytes, out var type))
        {
            record.OnUpstreamEvent(type, bytes);
        }
        else
        {
            record.OnUpstreamEvent("conversation.item.added"u8, bytes);
        }
    }
}
