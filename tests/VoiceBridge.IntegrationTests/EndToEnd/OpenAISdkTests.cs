// The realtime client of the official SDK is marked experimental.
#pragma warning disable OPENAI002

using System.ClientModel;
using System.Net.WebSockets;
using OpenAI.Realtime;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>
/// The official OpenAI .NET SDK as the client: pointed at the bridge's <c>/v1</c>, it dials
/// <c>/v1/realtime?model=…</c> and holds a conversation with the simulator through the bridge.
/// </summary>
public sealed class OpenAISdkTests
{
    private const string BrowserSideKey = "sk-browser-side-dummy";

    [Fact]
    public async Task OpenAISdk_ServerVadTurnThroughTheBridge_HearsItsOwnAudioBackAndItsKeyStaysAtTheBridge()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        var client = new RealtimeClient(new ApiKeyCredential(BrowserSideKey), new RealtimeClientOptions { Endpoint = new Uri(bridge.BaseUri, "v1") });

        using var session = await client.StartConversationSessionAsync("gpt-realtime", cancellationToken: ct);

        // One second of a 440 Hz tone, then silence: the simulator's VAD ends the turn and answers by itself.
        var sent = TestAudio.Concat(Simulator.Pcm.Tone(1000), TestAudio.Silence(800));
        foreach (var chunk in TestAudio.Frames(sent, 100 * TestAudio.BytesPerMs))
        {
            await session.SendInputAudioAsync(BinaryData.FromBytes(chunk), ct);
        }

        var kinds = new List<RealtimeServerUpdateKind>();
        using var heard = new MemoryStream();
        TimeSpan? speechStart = null;
        TimeSpan? speechEnd = null;
        RealtimeResponse? response = null;
        await foreach (var update in session.ReceiveUpdatesAsync(ct))
        {
            kinds.Add(update.Kind);
            switch (update)
            {
                case RealtimeServerUpdateError error:
                    Assert.Fail($"The session reported an error: {error.Error.Code} {error.Error.Message}");
                    break;
                case RealtimeServerUpdateInputAudioBufferSpeechStarted started:
                    speechStart = started.AudioStartTime;
                    break;
                case RealtimeServerUpdateInputAudioBufferSpeechStopped stopped:
                    speechEnd = stopped.AudioEndTime;
                    break;
                case RealtimeServerUpdateResponseOutputAudioDelta delta:
                    heard.Write(delta.Delta.ToArray());
                    break;
                case RealtimeServerUpdateResponseDone done:
                    response = done.Response;
                    break;
            }

            if (response is not null)
            {
                break;
            }
        }

        Assert.Equal(RealtimeServerUpdateKind.SessionCreated, kinds[0]);
        Assert.Equal(RealtimeServerUpdateKind.SessionUpdated, kinds[1]);
        Assert.Contains(RealtimeServerUpdateKind.InputAudioBufferCommitted, kinds);
        Assert.Contains(RealtimeServerUpdateKind.ResponseCreated, kinds);
        Assert.NotNull(response);
        Assert.Equal(RealtimeResponseStatus.Completed, response.Status);

        // The tone starts at 0 ms; the turn ends after 500 ms of silence. The simulator echoes exactly that span.
        Assert.Equal(TimeSpan.Zero, speechStart);
        const int TurnEndMs = 1500;
        Assert.Equal(TimeSpan.FromMilliseconds(TurnEndMs), speechEnd);
        var expected = TestAudio.Slice(sent, 0, TurnEndMs);
        Assert.NotEmpty(heard.ToArray());
        Assert.Equal(expected, heard.ToArray());

        // The SDK's key went to the bridge only; the upstream saw the bridge's own credentials.
        var handshake = Assert.Single(upstream.Handshakes);
        Assert.Equal("Bearer " + BridgeApp.TestApiKey, handshake.Headers["Authorization"]);
        Assert.DoesNotContain(handshake.Headers, h => h.Value.Contains(BrowserSideKey, StringComparison.Ordinal));
        Assert.DoesNotContain(BrowserSideKey, handshake.PathAndQuery, StringComparison.Ordinal);

        await session.WebSocket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, session.WebSocket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }
}
