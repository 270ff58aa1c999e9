using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>
/// Twilio as the bridge meets it: signs the voice webhook and the media upgrade with the account's auth token as Twilio
/// does (HMAC-SHA1 over the public URL, then the sorted form parameters), and speaks Media Streams on the socket.
/// </summary>
internal sealed class FakeTwilio
{
    public const string AuthToken = "twilio-test-auth-token-0123456789";
    public const string PublicUrl = "https://voice.example.test";

    private readonly Uri _bridge;

    public FakeTwilio(Uri bridgeBase)
    {
        _bridge = bridgeBase;
    }

    public static string Sign(string token, string url, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        // As Twilio's libraries do: names sorted; a repeated name once per distinct value, values sorted.
        var data = new StringBuilder(url);
        foreach (var name in (form ?? []).GroupBy(p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var value in name.Select(p => p.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                data.Append(name.Key).Append(value);
            }
        }

#pragma warning disable CA5350 // Twilio's scheme
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }

    /// <summary>The voice webhook for a call, signed (or with <paramref name="signature"/> instead).</summary>
    public async Task<HttpResponseMessage> PostVoiceAsync(
        string callSid,
        CancellationToken cancellationToken,
        string? signature = null,
        string authToken = AuthToken,
        string signedBase = PublicUrl,
        IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            new("CallSid", callSid),
            new("From", "+14155550100"),
            new("To", "+14155550199"),
            new("CallStatus", "ringing"),
            new("Direction", "inbound"),
        };
        form.AddRange(extra ?? []);
        using var client = new HttpClient { BaseAddress = _bridge };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice?tenant=a%20b") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? Sign(authToken, signedBase + "/twilio/voice?tenant=a%20b", form));
        return await client.SendAsync(request, cancellationToken);
    }

    /// <summary>Answers a call: the webhook, then the stream token out of its TwiML.</summary>
    public async Task<string> AnswerAsync(string callSid, CancellationToken cancellationToken)
    {
        using var response = await PostVoiceAsync(callSid, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var twiml = System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var stream = twiml.Root!.Element("Connect")!.Element("Stream")!;
        Assert.Equal("wss://voice.example.test/twilio/media", stream.Attribute("url")!.Value);
        return stream.Elements("Parameter").Single(p => p.Attribute("name")!.Value == "token").Attribute("value")!.Value;
    }

    /// <summary>Opens the media socket as Twilio does: signed over the stream URL it was given.</summary>
    public async Task<TwilioStream> ConnectAsync(CancellationToken cancellationToken, string? signature = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("X-Twilio-Signature", signature ?? Sign(AuthToken, "wss://voice.example.test/twilio/media"));
        var uri = new Uri(_bridge.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "twilio/media");
        await socket.ConnectAsync(uri, cancellationToken);
        return new TwilioStream(socket);
    }

    /// <summary>The status a media upgrade gets, when it is refused.</summary>
    public async Task<HttpStatusCode> RefusedUpgradeAsync(string? signature, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (signature is not null)
        {
            socket.Options.SetRequestHeader("X-Twilio-Signature", signature);
        }

        var uri = new Uri(_bridge.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "twilio/media");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, cancellationToken));
        return socket.HttpStatusCode;
    }
}

/// <summary>One Media Streams socket from Twilio's side: sends its messages, keeps everything the bridge sends.</summary>
internal sealed class TwilioStream : IAsyncDisposable
{
    private readonly Channel<JsonElement> _inbox = Channel.CreateUnbounded<JsonElement>();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Task _reading;
    private TwilioPlayer? _player;
    private int _sequence;

    public TwilioStream(ClientWebSocket socket)
    {
        Socket = socket;
        _reading = ReadAsync();
    }

    public ClientWebSocket Socket { get; }

    public string StreamSid { get; } = "MZ" + Guid.NewGuid().ToString("N");

    private readonly List<JsonElement> _received = [];

    /// <summary>A snapshot of everything received so far, in order.</summary>
    public IReadOnlyList<JsonElement> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Completes when the bridge has closed the socket (or it broke).</summary>
    public Task Closed => _reading;

    /// <summary>Plays what the bridge sends at real-time pace and echoes its marks as they play (else the test echoes them).</summary>
    public TwilioPlayer PlayInRealTime()
    {
        _player = new TwilioPlayer(name => SendMarkAsync(name, CancellationToken.None));
        return _player;
    }

    public async Task SendAsync(object message, CancellationToken cancellationToken)
    {
        // The test and the player both send: one message at a time, as a WebSocket requires.
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await Socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async Task StartAsync(string callSid, string? token, CancellationToken cancellationToken)
    {
        await SendAsync(new { @event = "connected", protocol = "Call", version = "1.0.0" }, cancellationToken);
        await SendAsync(new
        {
            @event = "start",
            sequenceNumber = Next(),
            start = new
            {
                accountSid = "AC0123456789abcdef0123456789abcdef",
                streamSid = StreamSid,
                callSid,
                tracks = new[] { "inbound" },
                mediaFormat = new { encoding = "audio/x-mulaw", sampleRate = 8000, channels = 1 },
                customParameters = token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["token"] = token },
            },
            streamSid = StreamSid,
        }, cancellationToken);
    }

    public Task SendMediaAsync(string base64, CancellationToken cancellationToken) =>
        SendAsync(new { @event = "media", sequenceNumber = Next(), media = new { track = "inbound", chunk = Next(), timestamp = "0", payload = base64 }, streamSid = StreamSid }, cancellationToken);

    /// <summary>Sends µ-law in 20 ms media messages, as Twilio does.</summary>
    public async Task SendAudioAsync(byte[] muLaw, CancellationToken cancellationToken)
    {
        for (var i = 0; i < muLaw.Length; i += 160)
        {
            await SendMediaAsync(Convert.ToBase64String(muLaw, i, Math.Min(160, muLaw.Length - i)), cancellationToken);
        }
    }

    public Task SendMarkAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(new { @event = "mark", sequenceNumber = Next(), streamSid = StreamSid, mark = new { name } }, cancellationToken);

    public Task SendDtmfAsync(string digit, CancellationToken cancellationToken) =>
        SendAsync(new { @event = "dtmf", sequenceNumber = Next(), streamSid = StreamSid, dtmf = new { track = "inbound_track", digit } }, cancellationToken);

    public Task SendStopAsync(string callSid, CancellationToken cancellationToken) =>
        SendAsync(new { @event = "stop", sequenceNumber = Next(), streamSid = StreamSid, stop = new { accountSid = "AC0123456789abcdef0123456789abcdef", callSid } }, cancellationToken);

    /// <summary>Next message from the bridge satisfying <paramref name="predicate"/> (the ones before it stay in <see cref="Received"/>).</summary>
    public async Task<JsonElement> ReadUntilAsync(Func<JsonElement, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await _inbox.Reader.ReadAsync(cancellationToken);
            if (predicate(message))
            {
                return message;
            }
        }
    }

    public static bool Is(JsonElement message, string @event) => message.TryGetProperty("event", out var e) && e.GetString() == @event;

    public async ValueTask DisposeAsync()
    {
        if (_player is not null)
        {
            await _player.DisposeAsync();
        }

        Socket.Abort();
        try
        {
            await _reading;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The read loop ends on its own; nothing to report.
        }

        Socket.Dispose();
    }

    private async Task PlayAsync(JsonElement message)
    {
        if (_player is null)
        {
            return;
        }

        if (Is(message, "media"))
        {
            _player.Media(Convert.FromBase64String(message.GetProperty("media").GetProperty("payload").GetString()!).Length);
        }
        else if (Is(message, "mark"))
        {
            _player.Mark(message.GetProperty("mark").GetProperty("name").GetString()!);
        }
        else if (Is(message, "clear"))
        {
            await _player.ClearAsync();
        }
    }

    private string Next() => Interlocked.Increment(ref _sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await Socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += received.Count;
                }
                while (!received.EndOfMessage);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var message = JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
                lock (_received)
                {
                    _received.Add(message);
                }

                await PlayAsync(message);
                _inbox.Writer.TryWrite(message);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Aborted by DisposeAsync, or the bridge went away.
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}
