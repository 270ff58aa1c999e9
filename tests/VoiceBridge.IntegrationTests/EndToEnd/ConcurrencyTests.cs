using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>Many conversations through one bridge at once: each hears only itself.</summary>
public sealed class ConcurrencyTests
{
    private const int Sessions = 20;

    [Fact]
    public async Task Concurrency_TwentyManualTurnsAtOnce_EachBrowserHearsOnlyItsOwnAudioAndAllCloseCleanly()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            // Push-to-talk: the browser commits and asks for the answer itself.
            ["VoiceBridge:Session:TurnDetection"] = "none",
        });

        // Start the host once, up front: WebApplicationFactory starts its server synchronously on first use, and twenty
        // threads blocking on that at once would starve the thread pool rather than test the bridge.
        var voiceUri = bridge.VoiceUri();
        await Task.WhenAll(Enumerable.Range(0, Sessions).Select(i => Task.Run(() => TalkAsync(voiceUri, seed: 100 + i, ct), ct)));

        // Every upstream socket was closed by the bridge with 1000, and nothing is left behind.
        Assert.Equal(Sessions, upstream.HandshakeCount);
        for (var i = 0; i < Sessions; i++)
        {
            var connection = await upstream.NextConnectionAsync(ct);
            await connection.Ended.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        }

        await bridge.WaitForNoSessionsAsync(ct);
    }

    private static async Task TalkAsync(Uri voiceUri, int seed, CancellationToken ct)
    {
        await using var browser = await BrowserClient.ConnectAsync(voiceUri, ct);
        var conversation = new BrowserConversation(browser);

        // 300 ms of a voice of its own: three 100 ms deltas come back.
        var said = TestAudio.Voiced(300, seed);
        await conversation.SendFramesAsync(said, ct);
        await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);

        var done = await conversation.WaitForAsync(e => e.Type is "response.done" or "error", ct);
        Assert.Equal("response.done", done.Type);
        Assert.Equal("completed", done.StringAt("response", "status"));
        Assert.Equal(said, conversation.AudioOf(done.StringAt("response", "id")!));
        Assert.DoesNotContain(conversation.Events, e => e.Type == "input_audio_buffer.speech_started");

        await browser.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.Socket.CloseStatus);
    }
}
