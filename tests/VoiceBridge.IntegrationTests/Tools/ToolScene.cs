using System.Text;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Tools;

/// <summary>
/// The scene of a tools test: a real webhook server, the fake service (the shipped simulator, or scripted by the test),
/// the bridge with one server tool <c>lookup_order</c> pointed at the webhook, and one browser.
/// </summary>
internal sealed class ToolScene : IAsyncDisposable
{
    public static readonly byte[] SecretBytes = Encoding.UTF8.GetBytes("voicebridge-tools-test-secret-32b");
    public static readonly string Secret = "whsec_" + Convert.ToBase64String(SecretBytes);

    private ToolScene(WebhookServer webhook, FakeUpstream upstream, BridgeApp bridge, BrowserClient browser, UpstreamConnection connection)
    {
        Webhook = webhook;
        Upstream = upstream;
        Bridge = bridge;
        Browser = browser;
        Connection = connection;
    }

    public WebhookServer Webhook { get; }

    public FakeUpstream Upstream { get; }

    public BridgeApp Bridge { get; }

    public BrowserClient Browser { get; }

    public UpstreamConnection Connection { get; }

    /// <summary>Every message the browser has received so far, through <see cref="ReadUntilAsync"/>.</summary>
    public List<BrowserMessage> BrowserFrames { get; } = [];

    public static async Task<ToolScene> StartAsync(
        CancellationToken cancellationToken,
        bool simulator = true,
        string query = "",
        IDictionary<string, string?>? settings = null,
        TimeProvider? timeProvider = null,
        string? webhookPathsFor = null)
    {
        var webhook = await WebhookServer.StartAsync();
        var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = simulator;
        var all = new Dictionary<string, string?>
        {
            ["VoiceBridge:Session:TurnDetection"] = "none",
            ["VoiceBridge:Tools:0:Name"] = "lookup_order",
            ["VoiceBridge:Tools:0:Description"] = "Looks up an order by its id.",
            ["VoiceBridge:Tools:0:Url"] = webhook.Url("/tools/lookup_order").ToString(),
            ["VoiceBridge:Tools:0:Parameters:type"] = "object",
            ["VoiceBridge:Tools:0:Parameters:properties:order_id:type"] = "string",
            ["VoiceBridge:Tools:0:Parameters:required:0"] = "order_id",
            ["VoiceBridge:Webhooks:Secret"] = Secret,
            ["VoiceBridge:Webhooks:RetryBaseDelay"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        if (webhookPathsFor is not null)
        {
            // A setting that needs this scene's webhook server (known only now): its "/ended" path.
            all[webhookPathsFor] = webhook.Url("/ended").ToString();
        }

        var bridge = new BridgeApp(upstream.Url, all, timeProvider: timeProvider);
        var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(query), cancellationToken);
        var connection = await upstream.NextConnectionAsync(cancellationToken);
        await connection.Socket.WaitForFramesAsync(1, cancellationToken);
        return new ToolScene(webhook, upstream, bridge, browser, connection);
    }

    /// <summary>A user text item, then <c>response.create</c>: with the simulator, <c>/tool name json</c> makes the model call that tool.</summary>
    public async Task SayAsync(string text, CancellationToken cancellationToken)
    {
        var item = JsonSerializer.Serialize(new
        {
            type = "conversation.item.create",
            item = new { type = "message", role = "user", content = new[] { new { type = "input_text", text } } },
        });
        await Browser.SendTextAsync(item, cancellationToken);
        await Browser.SendTextAsync("""{"type":"response.create"}""", cancellationToken);
    }

    /// <summary>Reads browser messages (keeping them in <see cref="BrowserFrames"/>) until one satisfies <paramref name="predicate"/>.</summary>
    public async Task<BrowserMessage> ReadUntilAsync(Func<BrowserMessage, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await Browser.ReceiveAsync(cancellationToken)
                ?? throw new InvalidOperationException($"The bridge closed ({Browser.Socket.CloseStatus}) first. Received: {string.Join('\n', BrowserFrames.Select(f => f.Text))}");
            BrowserFrames.Add(message);
            if (predicate(message))
            {
                return message;
            }
        }
    }

    /// <summary>The spoken answer's transcript, once a transcript (or text) is done.</summary>
    public async Task<string> ReadAnswerAsync(CancellationToken cancellationToken)
    {
        var done = await ReadUntilAsync(m => m.EventType is "response.output_audio_transcript.done" or "response.output_text.done", cancellationToken);
        await ReadUntilAsync(m => m.EventType == "response.done", cancellationToken);
        return done.Json.TryGetProperty("transcript", out var t) ? t.GetString()! : done.Json.GetProperty("text").GetString()!;
    }

    /// <summary>Upstream frames the bridge sent, as JSON (the fake records them all).</summary>
    public IEnumerable<JsonElement> UpstreamEvents() =>
        Connection.Received.Where(f => f.Type == System.Net.WebSockets.WebSocketMessageType.Text).Select(f => JsonDocument.Parse(f.Payload).RootElement.Clone());

    /// <summary>Waits until the bridge has sent upstream an event satisfying <paramref name="predicate"/>, and returns it.</summary>
    public async Task<JsonElement> WaitForUpstreamAsync(Func<JsonElement, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var seen = Connection.Received.Count;
            foreach (var e in UpstreamEvents())
            {
                if (predicate(e))
                {
                    return e;
                }
            }

            await Connection.Socket.WaitForFramesAsync(seen + 1, cancellationToken);
        }
    }

    public static bool IsType(JsonElement e, string type) => e.TryGetProperty("type", out var t) && t.GetString() == type;

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Bridge.DisposeAsync();
        await Upstream.DisposeAsync();
        await Webhook.DisposeAsync();
    }
}
