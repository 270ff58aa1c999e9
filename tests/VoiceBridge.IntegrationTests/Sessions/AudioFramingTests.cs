using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

public sealed class AudioFramingTests
{
    private static byte[] Pcm(int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task BinaryPcmFrames_BecomeAppendEventsWithTheSameBytes_InOrder()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var frames = Enumerable.Range(0, 100).Select(i => Pcm(960 + (i % 7) * 2, i)).ToList();
        foreach (var frame in frames)
        {
            await browser.SendBinaryAsync(frame, ct);
        }

        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(frames.Count + 1, ct);
        var appends = connection.Received.Skip(1).ToList();
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(WebSocketMessageType.Text, appends[i].Type);
            using var json = JsonDocument.Parse(appends[i].Payload);
            Assert.Equal("input_audio_buffer.append", json.RootElement.GetProperty("type").GetString());
            Assert.Equal(frames[i], json.RootElement.GetProperty("audio").GetBytesFromBase64());
        }
    }

    [Theory]
    [InlineData("response.output_audio.delta")]
    [InlineData("response.audio.delta")]
    public async Task BinaryAudioMode_DeltaArrivesAsJsonWithoutDeltaThenOneBinaryFrame(string type)
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct, query: "?audio=binary");
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        var pcm = Pcm(4800, 7);
        var delta = $$"""{"type":"{{type}}","event_id":"event_1","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"{{Convert.ToBase64String(pcm)}}","obfuscation":"xyz"}""";
        await connection.SendTextAsync(delta, ct);
        await connection.SendTextAsync("""{"type":"response.output_audio_transcript.delta","delta":"hi"}""", ct);

        var json = await browser.ReceiveAsync(ct);
        var audio = await browser.ReceiveAsync(ct);
        var transcript = await browser.ReceiveAsync(ct);

        Assert.Equal(WebSocketMessageType.Text, json!.Type);
        Assert.Equal(
            $$"""{"type":"{{type}}","event_id":"event_1","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"obfuscation":"xyz"}""",
            json.Text);
        Assert.Equal(WebSocketMessageType.Binary, audio!.Type);
        Assert.Equal(pcm, audio.Payload);

        // Every other event, including a transcript delta with its own "delta", passes through untouched.
        Assert.Equal("""{"type":"response.output_audio_transcript.delta","delta":"hi"}""", transcript!.Text);
    }

    [Fact]
    public async Task DefaultAudioMode_DeltaPassesThroughAsJson()
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct);
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        var delta = $$"""{"type":"response.output_audio.delta","delta":"{{Convert.ToBase64String(Pcm(480, 1))}}"}""";
        await connection.SendTextAsync(delta, ct);

        var message = await browser.ReceiveAsync(ct);
        Assert.Equal(delta, message!.Text);
    }

    [Fact]
    public async Task UnknownAudioMode_IsRejectedBeforeTheUpgrade()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri("?audio=mp3"), ct);

        Assert.Equal(400, raw.Status);
        Assert.Equal(0, upstream.HandshakeCount);
    }
}
