using System.Text.Json;
using Microsoft.AspNetCore.Http;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Tools;

/// <summary>
/// Server tools across an upstream reconnect: the new connection is primed with the tool's call and output (the model
/// remembers what it looked up), and the browser still sees none of the tool.
/// </summary>
public sealed class ServerToolContinuityTests
{
    [Fact]
    public async Task UpstreamDropsAfterAServerToolCall_NewConnectionGetsTheCallAndItsOutput_BrowserStillSeesNoneOfIt()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, query: "?bridge_events=1");
        scene.Webhook.Handler = static (context, _, _) => context.Response.WriteAsync("""{"status":"shipped"}""");

        await scene.SayAsync("""/tool lookup_order {"order_id":"A-42"}""", ct);
        Assert.Contains("shipped", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
        var callId = Assert.Single(scene.Webhook.Requests).Json.GetProperty("call_id").GetString()!;

        scene.Connection.DropTcp();
        var reconnected = await scene.ReadUntilAsync(m => m.EventType == "bridge.upstream.reconnected", ct);
        Assert.Equal("upstream_dropped", reconnected.Json.GetProperty("reason").GetString());

        // The next turn is answered on the new connection, which was primed first.
        await scene.SayAsync("and when does it arrive", ct);
        Assert.Contains("and when does it arrive", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);

        var replayed = scene.Upstream.Journal.Sessions[1].ReceivedItems;
        var call = Assert.Single(replayed, i => i.Type == "function_call");
        Assert.Equal(callId, call.CallId);
        Assert.Equal("lookup_order", call.Name);
        Assert.Equal("A-42", JsonDocument.Parse(call.Arguments!).RootElement.GetProperty("order_id").GetString());
        var output = Assert.Single(replayed, i => i.Type == "function_call_output");
        Assert.Equal(callId, output.CallId);
        Assert.Contains("shipped", output.Output, StringComparison.Ordinal);
        Assert.True(replayed.ToList().IndexOf(call) < replayed.ToList().IndexOf(output));

        // The webhook ran once: the replay carries the output, it does not call the tool again.
        Assert.Single(scene.Webhook.Requests);

        // Over the whole call, the reconnect included, no browser frame carried the tool (bar the bridge's own events
        // about it, and the user's typed request echoed back as the service does).
        var texts = scene.BrowserFrames
            .Where(f => f.Type == System.Net.WebSockets.WebSocketMessageType.Text)
            .Select(f => f.Text)
            .Where(t => !t.Contains("\"bridge.tool_call.", StringComparison.Ordinal) && !t.Contains("\"role\":\"user\"", StringComparison.Ordinal));
        Assert.All(texts, text =>
        {
            Assert.DoesNotContain("lookup_order", text, StringComparison.Ordinal);
            Assert.DoesNotContain(callId, text, StringComparison.Ordinal);
            Assert.DoesNotContain("function_call", text, StringComparison.Ordinal);
        });
    }
}
