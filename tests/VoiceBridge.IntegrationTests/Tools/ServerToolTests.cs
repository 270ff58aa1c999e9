using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Tools;

/// <summary>
/// Server tools end to end: the shipped simulator calls <c>lookup_order</c>, the bridge runs it through a real webhook
/// on 127.0.0.1, and the model answers quoting the output, while the browser sees none of the tool.
/// </summary>
public sealed class ServerToolTests
{
    private const string ToolRequest = """/tool lookup_order {"order_id":"A-42"}""";

    [Fact]
    public async Task ServerTool_SignedWebhookAnswers_ModelQuotesIt_BrowserSeesNothingOfTheTool()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, query: "?bridge_events=1");
        scene.Webhook.Handler = static (context, _, _) => context.Response.WriteAsync("""{"status":"shipped","eta":"tomorrow"}""");

        await scene.SayAsync(ToolRequest, ct);
        var answer = await scene.ReadAnswerAsync(ct);

        // The output reached the model, which quotes it.
        Assert.Contains("shipped", answer, StringComparison.Ordinal);

        // The webhook got the contract's body, signed with the secret (and another secret does not verify it).
        var request = Assert.Single(scene.Webhook.Requests);
        Assert.Equal("/tools/lookup_order", request.Path);
        var body = request.Json;
        Assert.Equal("tool.call", body.GetProperty("type").GetString());
        Assert.StartsWith("vb_", body.GetProperty("session_id").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("subject").ValueKind);
        Assert.Equal("lookup_order", body.GetProperty("name").GetString());
        Assert.StartsWith("call_", body.GetProperty("call_id").GetString());
        Assert.Equal("A-42", body.GetProperty("arguments").GetProperty("order_id").GetString());
        new StandardWebhook(ToolScene.SecretBytes).Verify(request.Body, request.Headers);
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook("another-secret-entirely-123456"u8.ToArray()).Verify(request.Body, request.Headers));

        // The model got the output as the call's function_call_output, then one response.create.
        var callId = body.GetProperty("call_id").GetString()!;
        var output = await scene.WaitForUpstreamAsync(e => ToolScene.IsType(e, "conversation.item.create") && e.GetProperty("item").GetProperty("type").GetString() == "function_call_output", ct);
        Assert.Equal(callId, output.GetProperty("item").GetProperty("call_id").GetString());
        Assert.Equal("""{"status":"shipped","eta":"tomorrow"}""", output.GetProperty("item").GetProperty("output").GetString());
        Assert.Equal(2, scene.UpstreamEvents().Count(e => ToolScene.IsType(e, "response.create"))); // the browser's, and the bridge's

        // The browser saw the bridge's events about the call and nothing else of the tool.
        var texts = scene.BrowserFrames.Where(f => f.Type == System.Net.WebSockets.WebSocketMessageType.Text).Select(f => f.Text).ToList();
        var started = Assert.Single(scene.BrowserFrames, f => f.EventType == "bridge.tool_call.started").Json;
        Assert.Equal(callId, started.GetProperty("call_id").GetString());
        var completed = Assert.Single(scene.BrowserFrames, f => f.EventType == "bridge.tool_call.completed").Json;
        Assert.Equal("ok", completed.GetProperty("outcome").GetString());
        Assert.True(completed.GetProperty("duration_ms").GetDouble() >= 0);
        // (The user's own typed item, echoed back as the service does, holds the request text: it is the caller's.)
        foreach (var text in texts.Where(t => !t.Contains("\"bridge.tool_call.", StringComparison.Ordinal) && !t.Contains("\"role\":\"user\"", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("lookup_order", text, StringComparison.Ordinal);
            Assert.DoesNotContain(callId, text, StringComparison.Ordinal);
            Assert.DoesNotContain("function_call", text, StringComparison.Ordinal);
            Assert.DoesNotContain("A-42", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(texts, t => t.Contains("\"type\":\"error\"", StringComparison.Ordinal));

        // One log line for the call, without its arguments or result.
        var line = await scene.Bridge.Logs.WaitForLineAsync(l => l.Contains("[60]", StringComparison.Ordinal), ct);
        Assert.Contains(callId, line, StringComparison.Ordinal);
        Assert.Contains("ok", line, StringComparison.Ordinal);
        Assert.DoesNotContain("A-42", scene.Bridge.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("shipped", scene.Bridge.Logs.AllText, StringComparison.Ordinal);

        // The metrics count it.
        using var http = scene.Bridge.CreateHttpClient();
        var metrics = await http.GetStringAsync("/metrics", ct);
        Assert.Contains("voicebridge_tool_calls_total{", metrics, StringComparison.Ordinal);
        Assert.Matches("voicebridge_tool_calls_total\\{[^}]*outcome=\"ok\"[^}]*tool=\"lookup_order\"[^}]*\\} 1", metrics);
        Assert.Contains("voicebridge_tool_call_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Matches("voicebridge_webhook_deliveries_total\\{[^}]*kind=\"tool\"[^}]*outcome=\"ok\"[^}]*\\} 1", metrics);
    }

    [Fact]
    public async Task Webhook500ThenOk_IsRetriedWithTheSameWebhookId()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct);
        scene.Webhook.Handler = static (context, _, number) =>
        {
            if (number == 1)
            {
                context.Response.StatusCode = 500;
                return Task.CompletedTask;
            }

            return context.Response.WriteAsync("""{"status":"retried fine"}""");
        };

        await scene.SayAsync(ToolRequest, ct);
        Assert.Contains("retried fine", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
        var requests = scene.Webhook.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0].Headers["webhook-id"].ToString(), requests[1].Headers["webhook-id"].ToString());
    }

    [Fact]
    public async Task WebhookAlways500_ModelGetsToolFailed_AndTheCallGoesOn()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, query: "?bridge_events=1");
        scene.Webhook.Handler = static (context, _, _) =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        };

        await scene.SayAsync(ToolRequest, ct);
        Assert.Contains("tool_failed", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
        Assert.Equal(3, scene.Webhook.Requests.Count); // the first try and at most 2 retries
        Assert.Equal("error", Assert.Single(scene.BrowserFrames, f => f.EventType == "bridge.tool_call.completed").Json.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task OversizedResult_ModelGetsToolFailed()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, settings: new Dictionary<string, string?> { ["VoiceBridge:Webhooks:MaxResultBytes"] = "100" });
        scene.Webhook.Handler = static (context, _, _) => context.Response.WriteAsync("{\"blob\":\"" + new string('x', 500) + "\"}");

        await scene.SayAsync(ToolRequest, ct);
        Assert.Contains("tool_failed", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidArguments_NoRequestIsMade_ModelGetsInvalidArguments()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct);

        await scene.SayAsync("/tool lookup_order [1,2,3]", ct);
        Assert.Contains("invalid_arguments", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
        Assert.Empty(scene.Webhook.Requests);
    }

    [Fact]
    public async Task SlowWebhook_TimesOutOnTheBridgesClock_ModelGetsToolTimeout()
    {
        var ct = TestTimeout.Token();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var scene = await ToolScene.StartAsync(ct, timeProvider: clock, query: "?bridge_events=1");
        scene.Webhook.Handler = static (context, _, _) => Task.Delay(Timeout.Infinite, context.RequestAborted);

        await scene.SayAsync(ToolRequest, ct);
        await scene.Webhook.WaitForRequestsAsync(1, ct);
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Contains("tool_timeout", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
        await scene.Webhook.Changed.WaitUntilAsync(() => scene.Webhook.Requests.Single().Aborted, ct);
        Assert.Equal("timeout", Assert.Single(scene.BrowserFrames, f => f.EventType == "bridge.tool_call.completed").Json.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task BrowserHangsUpMidCall_TheWebhookRequestIsCancelled()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct);
        scene.Webhook.Handler = static (context, _, _) => Task.Delay(Timeout.Infinite, context.RequestAborted);

        await scene.SayAsync(ToolRequest, ct);
        await scene.Webhook.WaitForRequestsAsync(1, ct);
        await scene.Browser.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", ct);

        await scene.Webhook.Changed.WaitUntilAsync(() => scene.Webhook.Requests.Single().Aborted, ct);
        await scene.Bridge.WaitForNoSessionsAsync(ct);
        Assert.Contains(scene.Bridge.Logs.Lines, l => l.Contains("[60]", StringComparison.Ordinal) && l.Contains("cancelled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionEnded_IsPostedOnceSigned_WithTheAccountAndTheTranscript()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, settings: new Dictionary<string, string?> { ["VoiceBridge:Webhooks:SessionEndedUrl"] = "placeholder" }, webhookPathsFor: "VoiceBridge:Webhooks:SessionEndedUrl");
        scene.Webhook.Handler = static (context, _, _) => context.Response.WriteAsync(context.Request.Path == "/ended" ? "" : """{"status":"delivered"}""");

        await scene.SayAsync(ToolRequest, ct);
        Assert.Contains("delivered", await scene.ReadAnswerAsync(ct), StringComparison.Ordinal);
        await scene.Browser.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", ct);

        await scene.Webhook.Changed.WaitUntilAsync(() => scene.Webhook.Requests.Any(r => r.Path == "/ended"), ct);
        var ended = Assert.Single(scene.Webhook.Requests, r => r.Path == "/ended");
        new StandardWebhook(ToolScene.SecretBytes).Verify(ended.Body, ended.Headers);
        var body = ended.Json;
        Assert.Equal("session.ended", body.GetProperty("type").GetString());
        Assert.StartsWith("vb_", body.GetProperty("session_id").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("subject").ValueKind);
        Assert.Equal("browser", body.GetProperty("ended_by").GetString());
        Assert.Equal("browser_closed", body.GetProperty("reason").GetString());
        Assert.True(DateTimeOffset.Parse(body.GetProperty("ended_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= DateTimeOffset.Parse(body.GetProperty("started_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var account = body.GetProperty("account");
        Assert.True(account.GetProperty("framesIn").GetInt64() >= 2);
        Assert.Equal("Browser", account.GetProperty("endedBy").GetString());
        Assert.Equal("ok", account.GetProperty("toolCalls")[0].GetProperty("outcome").GetString());

        var transcript = body.GetProperty("transcript").EnumerateArray().ToList();
        var user = Assert.Single(transcript, e => e.GetProperty("role").GetString() == "user");
        Assert.Equal(ToolRequest, user.GetProperty("text").GetString());
        var tool = Assert.Single(transcript, e => e.GetProperty("role").GetString() == "tool");
        Assert.Equal("lookup_order", tool.GetProperty("name").GetString());
        Assert.Equal("ok", tool.GetProperty("outcome").GetString());
        Assert.False(tool.TryGetProperty("text", out _));
        Assert.Contains(transcript, e => e.GetProperty("role").GetString() == "assistant" && e.GetProperty("text").GetString()!.Contains("delivered", StringComparison.Ordinal));
        Assert.False(tool.TryGetProperty("arguments", out _)); // tool entries carry no arguments or results
    }

    [Fact]
    public async Task AdminApi_AccountListsTheCall_AndTheEventStreamShowsItWithoutArguments()
    {
        var ct = TestTimeout.Token();
        const string AdminKey = "admin-key-0123456789abcdef";
        await using var scene = await ToolScene.StartAsync(ct, query: "?bridge_events=1", settings: new Dictionary<string, string?> { ["VoiceBridge:Admin:ApiKey"] = AdminKey });
        var sessionId = (await scene.ReadUntilAsync(m => m.EventType == "bridge.session.created", ct)).Json.GetProperty("session_id").GetString();
        using var http = scene.Bridge.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        using var stream = await http.GetStreamAsync($"/admin/sessions/{sessionId}/events", ct);
        using var events = new StreamReader(stream);
        Assert.StartsWith(": watching", await events.ReadLineAsync(ct), StringComparison.Ordinal);

        await scene.SayAsync(ToolRequest, ct);
        await scene.ReadAnswerAsync(ct);

        var lines = new List<string>();
        while (!lines.Any(l => l.Contains("bridge.tool_call.completed", StringComparison.Ordinal)))
        {
            lines.Add(await events.ReadLineAsync(ct) ?? throw new InvalidOperationException("the stream ended"));
        }

        Assert.Contains(lines, l => l.Contains("bridge.tool_call.started", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("\"arguments\"", StringComparison.Ordinal));
        var account = JsonDocument.Parse(await http.GetStringAsync($"/admin/sessions/{sessionId}", ct)).RootElement;
        var call = Assert.Single(account.GetProperty("toolCalls").EnumerateArray());
        Assert.Equal("lookup_order", call.GetProperty("name").GetString());
        Assert.Equal("ok", call.GetProperty("outcome").GetString());
    }
}
