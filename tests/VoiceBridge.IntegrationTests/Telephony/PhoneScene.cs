using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>The scene of a phone test: the fake service (the simulator, or scripted by the test), the bridge with Twilio enabled, and a fake Twilio.</summary>
internal sealed class PhoneScene : IAsyncDisposable
{
    public const string PhoneInstructions = "You answer the phone for the test line.";
    public const string PhoneVoice = "marin";

    private PhoneScene(FakeUpstream upstream, BridgeApp bridge)
    {
        Upstream = upstream;
        Bridge = bridge;
        Twilio = new FakeTwilio(bridge.BaseUri);
    }

    public FakeUpstream Upstream { get; }

    public BridgeApp Bridge { get; }

    public FakeTwilio Twilio { get; }

    public static async Task<PhoneScene> StartAsync(bool simulator = false, IDictionary<string, string?>? settings = null)
    {
        var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = simulator;
        var all = new Dictionary<string, string?>
        {
            ["VoiceBridge:Telephony:Twilio:Enabled"] = "true",
            ["VoiceBridge:Telephony:Twilio:AuthToken"] = FakeTwilio.AuthToken,
            ["VoiceBridge:Telephony:Twilio:PublicUrl"] = FakeTwilio.PublicUrl,
            ["VoiceBridge:Telephony:Twilio:Instructions"] = PhoneInstructions,
            ["VoiceBridge:Telephony:Twilio:Voice"] = PhoneVoice,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new PhoneScene(upstream, new BridgeApp(upstream.Url, all));
    }

    /// <summary>A call answered and streaming: the webhook, the signed upgrade, <c>connected</c> and <c>start</c>.</summary>
    public async Task<TwilioStream> CallAsync(string callSid, CancellationToken cancellationToken)
    {
        var token = await Twilio.AnswerAsync(callSid, cancellationToken);
        var stream = await Twilio.ConnectAsync(cancellationToken);
        await stream.StartAsync(callSid, token, cancellationToken);
        return stream;
    }

    public static IEnumerable<JsonElement> Events(UpstreamConnection connection) =>
        connection.Received.Where(f => f.Type == WebSocketMessageType.Text).Select(f => JsonDocument.Parse(f.Payload).RootElement.Clone());

    public static async Task<JsonElement> WaitForUpstreamAsync(UpstreamConnection connection, Func<JsonElement, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var seen = connection.Received.Count;
            foreach (var e in Events(connection))
            {
                if (predicate(e))
                {
                    return e;
                }
            }

            await connection.Socket.WaitForFramesAsync(seen + 1, cancellationToken);
        }
    }

    public static bool IsType(JsonElement e, string type) => e.TryGetProperty("type", out var t) && t.GetString() == type;

    public async ValueTask DisposeAsync()
    {
        await Bridge.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
