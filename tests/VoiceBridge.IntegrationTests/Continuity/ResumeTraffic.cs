using System.Globalization;
using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Sessions;

namespace VoiceBridge.IntegrationTests.Continuity;

/// <summary>
/// The traffic the resume tests (one node, and a fleet) count: numbered audio deltas <c>e{n}</c> from the service, read
/// by the browser as JSON then PCM, and kept by a detached session.
/// </summary>
internal static class ResumeTraffic
{
    private static readonly string AudioBase64 = Convert.ToBase64String(new byte[480]);

    /// <summary>The service sends audio deltas <c>e{first}</c>… of one response.</summary>
    public static async Task SendAudioAsync(UpstreamConnection connection, int first, int count, CancellationToken ct)
    {
        for (var id = first; id < first + count; id++)
        {
            await connection.SendTextAsync(
                $$"""{"type":"response.output_audio.delta","event_id":"e{{id}}","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"{{AudioBase64}}"}""", ct);
        }
    }

    /// <summary>
    /// Waits until <paramref name="session"/> has read all <paramref name="sent"/> events from the service and keeps at
    /// least <paramref name="atLeast"/> (those sent after the detach): events still on their way when the browser resumes
    /// are live, not kept, and <c>replayed_events</c> rightly leaves them out.
    /// </summary>
    public static async Task WaitUntilKeptAsync(BridgeSession session, int sent, int atLeast, CancellationToken ct)
    {
        while (session.Statistics.UpstreamFramesIn < sent || session.KeptEvents < atLeast || session.ToBrowser.Count > 0)
        {
            // The bridge logs nothing per event: poll (bounded by the test's timeout).
            await Task.Delay(5, ct);
        }
    }

    /// <summary>Reads audio deltas (JSON, then its PCM as a binary frame) until event <paramref name="until"/>.</summary>
    public static async Task ReadEventsAsync(BrowserClient browser, List<int> received, int until, CancellationToken ct)
    {
        while (received.Count == 0 || received[^1] != until)
        {
            var message = await browser.ReceiveAsync(ct) ?? throw new InvalidOperationException("The bridge closed the browser.");
            Assert.Equal(WebSocketMessageType.Text, message.Type);
            Assert.Equal("response.output_audio.delta", message.EventType);
            received.Add(int.Parse(message.Json.GetProperty("event_id").GetString()!["e".Length..], CultureInfo.InvariantCulture));
            var pcm = await browser.ReceiveAsync(ct);
            Assert.Equal(WebSocketMessageType.Binary, pcm!.Type);
            Assert.Equal(480, pcm.Payload.Length);
        }
    }
}
