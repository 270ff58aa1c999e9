using Microsoft.AspNetCore.Http;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Tools;

/// <summary>
/// Tools against the fake service scripted by the test with the real event shapes (realtime-protocol.md §8): two calls
/// in one response, run at once; one response.create after the response is done and both outputs are in; the
/// service's error about the bridge's own event kept from the browser.
/// </summary>
public sealed class ScriptedToolTests
{
    [Fact]
    public async Task TwoCallsInOneResponse_RunConcurrently_ThenOneResponseCreate_ErrorsAboutItHidden()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, simulator: false);
        var bothArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        scene.Webhook.Handler = async (context, request, number) =>
        {
            if (number == 2)
            {
                bothArrived.TrySetResult();
            }

            // Neither answers until both are in: they can only both finish if they run at the same time.
            await bothArrived.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("{\"order\":\"" + request.Json.GetProperty("arguments").GetProperty("order_id").GetString() + "\"}");
        };

        var up = scene.Connection;
        await up.SendTextAsync("""{"type":"response.created","event_id":"event_1","response":{"object":"realtime.response","id":"resp_1","status":"in_progress","output":[]}}""", ct);
        foreach (var (index, call, order) in new[] { (0, "call_A", "one"), (1, "call_B", "two") })
        {
            var item = $$"""{"id":"item_{{call}}","type":"function_call","object":"realtime.item","status":"in_progress","name":"lookup_order","call_id":"{{call}}","arguments":""}""";
            var args = $$"""{\"order_id\":\"{{order}}\"}""";
            var done = $$"""{"id":"item_{{call}}","type":"function_call","object":"realtime.item","status":"completed","name":"lookup_order","call_id":"{{call}}","arguments":"{{args}}"}""";
            await up.SendTextAsync($$"""{"type":"response.output_item.added","event_id":"event_a{{index}}","response_id":"resp_1","output_index":{{index}},"item":{{item}}}""", ct);
            await up.SendTextAsync($$"""{"type":"conversation.item.added","event_id":"event_b{{index}}","previous_item_id":null,"item":{{item}}}""", ct);
            await up.SendTextAsync($$"""{"type":"response.function_call_arguments.delta","event_id":"event_c{{index}}","response_id":"resp_1","item_id":"item_{{call}}","output_index":{{index}},"call_id":"{{call}}","delta":"{{args}}"}""", ct);
            await up.SendTextAsync($$"""{"type":"response.function_call_arguments.done","event_id":"event_d{{index}}","response_id":"resp_1","item_id":"item_{{call}}","output_index":{{index}},"call_id":"{{call}}","name":"lookup_order","arguments":"{{args}}"}""", ct);
            await up.SendTextAsync($$"""{"type":"response.output_item.done","event_id":"event_e{{index}}","response_id":"resp_1","output_index":{{index}},"item":{{done}}}""", ct);
            await up.SendTextAsync($$"""{"type":"conversation.item.done","event_id":"event_f{{index}}","previous_item_id":null,"item":{{done}}}""", ct);
        }

        var doneA = """{"id":"item_call_A","type":"function_call","object":"realtime.item","status":"completed","name":"lookup_order","call_id":"call_A","arguments":"{}"}""";
        var doneB = doneA.Replace("call_A", "call_B", StringComparison.Ordinal);
        await up.SendTextAsync("""{"type":"response.done","event_id":"event_g","response":{"object":"realtime.response","id":"resp_1","status":"completed","output":[""" + doneA + "," + doneB + """],"usage":{"total_tokens":10,"input_tokens":6,"output_tokens":4}}}""", ct);

        var create = await scene.WaitForUpstreamAsync(e => ToolScene.IsType(e, "response.create"), ct);
        var events = scene.UpstreamEvents().ToList();
        var outputs = events.Where(e => ToolScene.IsType(e, "conversation.item.create")).Select(e => e.GetProperty("item")).ToList();
        Assert.Equal(["call_A", "call_B"], outputs.Select(o => o.GetProperty("call_id").GetString()).Order());
        Assert.Contains(outputs, o => o.GetProperty("output").GetString() == """{"order":"one"}""");
        Assert.True(events.FindIndex(e => ToolScene.IsType(e, "response.create")) > events.FindLastIndex(e => ToolScene.IsType(e, "conversation.item.create")));

        // The service refuses the bridge's response.create: that error is the bridge's, not the browser's.
        var eventId = create.GetProperty("event_id").GetString();
        await up.SendTextAsync($$$"""{"type":"error","event_id":"event_h","error":{"type":"invalid_request_error","code":"conversation_already_has_active_response","message":"busy","param":null,"event_id":"{{{eventId}}}"}}""", ct);
        await up.SendTextAsync("""{"type":"rate_limits.updated","event_id":"event_marker","rate_limits":[]}""", ct);
        await scene.ReadUntilAsync(m => m.EventType == "rate_limits.updated", ct);

        Assert.Equal(1, scene.UpstreamEvents().Count(e => ToolScene.IsType(e, "response.create")));
        Assert.Equal(["response.created", "response.done", "rate_limits.updated"], scene.BrowserFrames.Select(f => f.EventType));
        var responseDone = scene.BrowserFrames[1].Json.GetProperty("response");
        Assert.Equal(0, responseDone.GetProperty("output").GetArrayLength());
        Assert.Equal(10, responseDone.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task ResponseStillActive_WhenOutputsAreIn_ResponseCreateWaitsForItsDone()
    {
        var ct = TestTimeout.Token();
        await using var scene = await ToolScene.StartAsync(ct, simulator: false);
        var up = scene.Connection;
        var item = """{"id":"item_1","type":"function_call","status":"completed","name":"lookup_order","call_id":"call_1","arguments":"{\"order_id\":\"x\"}"}""";
        await up.SendTextAsync("""{"type":"response.created","event_id":"event_1","response":{"id":"resp_1","status":"in_progress","output":[]}}""", ct);
        await up.SendTextAsync($$"""{"type":"response.output_item.done","event_id":"event_2","response_id":"resp_1","output_index":0,"item":{{item}}}""", ct);

        await scene.WaitForUpstreamAsync(e => ToolScene.IsType(e, "conversation.item.create"), ct);
        await up.SendTextAsync("""{"type":"rate_limits.updated","event_id":"event_marker","rate_limits":[]}""", ct);
        await scene.ReadUntilAsync(m => m.EventType == "rate_limits.updated", ct);
        Assert.DoesNotContain(scene.UpstreamEvents(), e => ToolScene.IsType(e, "response.create"));

        await up.SendTextAsync("""{"type":"response.done","event_id":"event_3","response":{"id":"resp_1","status":"completed","output":[]}}""", ct);
        await scene.WaitForUpstreamAsync(e => ToolScene.IsType(e, "response.create"), ct);
    }
}
