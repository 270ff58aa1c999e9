using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

public sealed class PassThroughTests
{
    [Fact]
    public async Task Session_FirstUpstreamFrame_IsTheServerSessionUpdate()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Session:Voice"] = "cedar" });

        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(2, ct);

        var frames = connection.Received.ToArray();
        using var first = JsonDocument.Parse(frames[0].Payload);
        Assert.Equal("session.update", first.RootElement.GetProperty("type").GetString());
        Assert.Equal("realtime", first.RootElement.GetProperty("session").GetProperty("type").GetString());
        Assert.Equal("cedar", first.RootElement.GetProperty("session").GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        Assert.Equal("""{"type":"response.create"}""", frames[1].Text);
        Assert.Equal("realtime", browser.Socket.SubProtocol);
    }

    [Fact]
    public async Task Session_ThousandsOfTextFrames_ArriveUpstreamByteIdenticalAndInOrder()
    {
        var ct = TestTimeout.Token(60);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        const int Count = 3000;
        var sent = new List<byte[]>(Count);
        for (var i = 0; i < Count; i++)
        {
            // Varied sizes and spacing: the bridge must not normalise anything.
            var json = $$"""{ "type" : "conversation.item.create", "seq": {{i}}, "pad": "{{new string('x', i % 700)}}", "uni": "é🎤" }""";
            var bytes = Encoding.UTF8.GetBytes(json);
            sent.Add(bytes);
            await browser.Socket.SendAsync(bytes, WebSocketMessageType.Text, true, ct);
        }

        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(Count + 1, ct);
        var received = connection.Received.Skip(1).ToArray();
        Assert.Equal(Count, received.Length);
        for (var i = 0; i < Count; i++)
        {
            Assert.Equal(sent[i], received[i].Payload);
        }
    }

    [Fact]
    public async Task Session_ThousandsOfUpstreamEvents_ReachTheBrowserByteIdenticalAndInOrder()
    {
        var ct = TestTimeout.Token(60);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);

        const int Count = 3000;
        var sent = new List<string>(Count);
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
            {
                var json = $$"""{"type":"response.output_audio_transcript.delta","event_id":"event_{{i}}","delta":"{{new string('y', i % 900)}}","obfuscation":"\u00e9"}""";
                sent.Add(json);
                await connection.SendTextAsync(json, ct);
            }
        }, ct);

        for (var i = 0; i < Count; i++)
        {
            var message = await browser.ReceiveAsync(ct);
            Assert.NotNull(message);
            Assert.Equal(WebSocketMessageType.Text, message.Type);
            Assert.Equal(i, int.Parse(message.Json.GetProperty("event_id").GetString()!["event_".Length..], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Encoding.UTF8.GetBytes(sent[i]), message.Payload);
        }

        await sender;
    }

    [Fact]
    public async Task Session_BrowserCloses_UpstreamClosedWith1000AndNothingLeftBehind()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(1, ct);

        await browser.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);

        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.Socket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
        await browser.DisposeAsync();
    }

    [Fact]
    public async Task FramesSentWhileUpstreamConnects_WaitInOrderBehindTheSessionUpdate()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        upstream.AcceptDelay = TimeSpan.FromMilliseconds(700);
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        // All sent before the upstream has even accepted; a binary frame among them keeps its place too.
        for (var i = 0; i < 10; i++)
        {
            await browser.SendTextAsync($$"""{"type":"conversation.item.create","seq":{{i}}}""", ct);
        }

        await browser.SendBinaryAsync(new byte[480], ct);

        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(12, ct);
        var frames = connection.Received.ToArray();
        Assert.Contains("\"session.update\"", frames[0].Text, StringComparison.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($$"""{"type":"conversation.item.create","seq":{{i}}}""", frames[i + 1].Text);
        }

        Assert.StartsWith("{\"type\":\"input_audio_buffer.append\"", frames[11].Text, StringComparison.Ordinal);
    }
}
