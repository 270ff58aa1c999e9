using System.Text.Json;

namespace VoiceBridge.IntegrationTests.Simulator;

/// <summary>The simulator's function calling (realtime-protocol.md §8): <c>/tool name json</c> → a call; its output → an answer quoting it.</summary>
public sealed class RealtimeSimulatorToolTests
{
    private const string WithTool = """{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}},"tools":[{"type":"function","name":"get_weather","description":"","parameters":{"type":"object","properties":{}}}]}}""";

    [Fact]
    public async Task ToolCommand_NextResponseIsAFunctionCall_ThenTheAnswerQuotesTheOutput()
    {
        using var cts = TestTimeout.Source(10);
        var ct = cts.Token;
        await using var host = await SimulatorTestHost.StartAsync(ct);
        await using var client = await host.ConnectReadyAsync(ct);
        await client.SendAsync(WithTool, ct);
        await client.ReceiveUntilAsync("session.updated", ct);

        await client.SendAsync(new { type = "conversation.item.create", item = new { type = "message", role = "user", content = new[] { new { type = "input_text", text = """/tool get_weather {"city":"Paris"}""" } } } }, ct);
        await client.ReceiveUntilAsync("conversation.item.done", ct);
        await client.SendAsync("""{"type":"response.create"}""", ct);
        var events = await client.ReceiveUntilAsync("rate_limits.updated", ct);

        Assert.Equal(
            ["response.created", "response.output_item.added", "conversation.item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
             "response.function_call_arguments.done", "response.output_item.done", "conversation.item.done", "response.done", "rate_limits.updated"],
            events.Select(e => e.GetProperty("type").GetString()));
        var added = events[1].GetProperty("item");
        Assert.Equal("function_call", added.GetProperty("type").GetString());
        Assert.Equal("in_progress", added.GetProperty("status").GetString());
        Assert.Equal("", added.GetProperty("arguments").GetString());
        var callId = added.GetProperty("call_id").GetString()!;
        Assert.StartsWith("call_", callId);
        var done = events[5];
        Assert.Equal("get_weather", done.GetProperty("name").GetString());
        Assert.Equal(callId, done.GetProperty("call_id").GetString());
        Assert.Equal("""{"city":"Paris"}""", done.GetProperty("arguments").GetString());
        Assert.Equal(string.Concat(events[3].GetProperty("delta").GetString(), events[4].GetProperty("delta").GetString()), done.GetProperty("arguments").GetString());
        var output = events[8].GetProperty("response").GetProperty("output");
        Assert.Equal("completed", events[8].GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("function_call", output[0].GetProperty("type").GetString());
        Assert.Equal("completed", output[0].GetProperty("status").GetString());

        await client.SendAsync(new { type = "conversation.item.create", item = new { type = "function_call_output", call_id = callId, output = """{"temp_c":21}""" } }, ct);
        await client.ReceiveUntilAsync("conversation.item.done", ct);
        await client.SendAsync("""{"type":"response.create"}""", ct);
        var answer = await client.ReceiveUntilAsync("response.done", ct);
        var transcript = answer.Single(e => e.GetProperty("type").GetString() == "response.output_audio_transcript.done").GetProperty("transcript").GetString();
        Assert.Equal("""The tool answered: {"temp_c":21}""", transcript);
        Assert.Contains(answer, e => e.GetProperty("type").GetString() == "response.output_audio.delta");
    }

    [Fact]
    public async Task ToolCommand_ForAToolNotInTheSession_IsAnOrdinaryAnswer()
    {
        using var cts = TestTimeout.Source(10);
        var ct = cts.Token;
        await using var host = await SimulatorTestHost.StartAsync(ct);
        await using var client = await host.ConnectReadyAsync(ct);
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}""", ct);
        await client.ReceiveUntilAsync("session.updated", ct);

        await client.SendAsync(new { type = "conversation.item.create", item = new { type = "message", role = "user", content = new[] { new { type = "input_text", text = "/tool nope {}" } } } }, ct);
        await client.SendAsync("""{"type":"response.create"}""", ct);
        var events = await client.ReceiveUntilAsync("response.done", ct);
        Assert.DoesNotContain(events, e => e.GetProperty("type").GetString()!.StartsWith("response.function_call", StringComparison.Ordinal));
    }
}
