using System.Net.WebSockets;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class RealtimeSimulatorErrorTests
{
    [Fact]
    public async Task UnknownType_ReturnsInvalidValueWithClientEventIdAndStaysOpen()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync("""{"type":"foo.bar","event_id":"evt_client_7"}""", cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.clear"}""", cts.Token);
        var next = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("error", error.Type());
        Assert.StartsWith("event_", error.Str("event_id"), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.Str("error.type"));
        Assert.Equal("invalid_value", error.Str("error.code"));
        Assert.Equal("type", error.Str("error.param"));
        Assert.Equal("evt_client_7", error.Str("error.event_id"));
        Assert.StartsWith("Invalid value: 'foo.bar'.", error.Str("error.message"), StringComparison.Ordinal);
        Assert.Equal("input_audio_buffer.cleared", next.Type());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"no_type\":true}")]
    public async Task MalformedEvent_ReturnsInvalidRequestErrorAndStaysOpen(string frame)
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync(frame, cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.clear"}""", cts.Token);
        var next = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("error", error.Type());
        Assert.Equal("invalid_request_error", error.Str("error.type"));
        Assert.Equal("input_audio_buffer.cleared", next.Type());
    }

    [Fact]
    public async Task BinaryFrame_ReturnsErrorAndStaysOpen()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.Socket.SendAsync(Pcm.Silence(20), WebSocketMessageType.Binary, true, cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.clear"}""", cts.Token);
        var next = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("invalid_request_error", error.Str("error.type"));
        Assert.Contains("binary", error.Str("error.message"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("input_audio_buffer.cleared", next.Type());
    }

    [Fact]
    public async Task Append_InvalidBase64_ReturnsInvalidValueForAudio()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync("""{"type":"input_audio_buffer.append","audio":"not base64!"}""", cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("invalid_value", error.Str("error.code"));
        Assert.Equal("audio", error.Str("error.param"));
    }

    [Fact]
    public async Task FragmentedMessage_IsReassembled()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        var json = System.Text.Encoding.UTF8.GetBytes("""{"type":"input_audio_buffer.clear","event_id":"evt_frag"}""");
        await client.Socket.SendAsync(json.AsMemory(0, 10), WebSocketMessageType.Text, false, cts.Token);
        await client.Socket.SendAsync(json.AsMemory(10), WebSocketMessageType.Text, true, cts.Token);
        var next = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("input_audio_buffer.cleared", next.Type());
    }

    [Fact]
    public async Task Session_MaxDurationReached_SendsSessionExpiredAndCloses1001()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token, o => o.MaxSessionDuration = TimeSpan.FromMilliseconds(300));
        await using var client = await host.ConnectAsync(cts.Token);

        var events = await client.ReceiveUntilCloseAsync(cts.Token);

        const string Expected = "Your session hit the maximum duration of 300 milliseconds.";
        Assert.Equal("session.created", events[0].Type());
        Assert.Equal("session_expired", events[^1].Str("error.code"));
        Assert.Equal(Expected, events[^1].Str("error.message"));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.Socket.CloseStatus);
        Assert.Equal(Expected, client.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task ClientClose_IsAnsweredWith1000()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);

        Assert.Equal(WebSocketState.Closed, client.Socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
    }
}
