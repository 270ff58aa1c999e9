using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>One server event as the browser got it; <see cref="Audio"/> is the decoded PCM of an audio delta.</summary>
internal sealed record BrowserEvent(string Type, JsonElement Json, byte[] Payload, byte[]? Audio)
{
    public string? StringAt(params string[] path)
    {
        var element = Json;
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    public long Number(string name) => Json.GetProperty(name).GetInt64();
}

/// <summary>
/// Reads a browser's side of a conversation and keeps every event in order. In <c>?audio=binary</c> mode it checks
/// the framing the contract promises (each audio delta's JSON without <c>delta</c>, then exactly one binary frame)
/// and hands back the audio the same way as in JSON mode, so tests compare the same bytes in both modes.
/// </summary>
internal sealed class BrowserConversation(BrowserClient browser, bool binaryAudio = false)
{
    public static readonly string[] AudioDeltaTypes = ["response.output_audio.delta", "response.audio.delta"];

    public List<BrowserEvent> Events { get; } = [];

    public IEnumerable<string> Types => Events.Select(e => e.Type);

    public static bool IsDelta(string type) => type.EndsWith(".delta", StringComparison.Ordinal);

    /// <summary>All audio the browser received for <paramref name="responseId"/>, in order.</summary>
    public byte[] AudioOf(string responseId) =>
        [.. Events.Where(e => e.Audio is not null && e.StringAt("response_id") == responseId).SelectMany(e => e.Audio!)];

    public async Task<BrowserEvent> NextAsync(CancellationToken cancellationToken)
    {
        var message = await browser.ReceiveAsync(cancellationToken)
            ?? throw new InvalidOperationException(
                $"The bridge closed ({browser.Socket.CloseStatus} {browser.Socket.CloseStatusDescription}) after: {string.Join(", ", Types)}");
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        var json = message.Json;
        var type = json.GetProperty("type").GetString()!;

        byte[]? audio = null;
        if (AudioDeltaTypes.Contains(type))
        {
            if (binaryAudio)
            {
                Assert.False(json.TryGetProperty("delta", out _), "in binary mode the delta's JSON must come without 'delta'");
                var pcm = await browser.ReceiveAsync(cancellationToken);
                Assert.NotNull(pcm);
                Assert.Equal(WebSocketMessageType.Binary, pcm.Type);
                audio = pcm.Payload;
            }
            else
            {
                audio = json.GetProperty("delta").GetBytesFromBase64();
            }
        }

        var received = new BrowserEvent(type, json, message.Payload, audio);
        Events.Add(received);
        return received;
    }

    /// <summary>Reads until an event of <paramref name="type"/> arrives and returns it.</summary>
    public Task<BrowserEvent> WaitForAsync(string type, CancellationToken cancellationToken) =>
        WaitForAsync(e => e.Type == type, cancellationToken);

    public async Task<BrowserEvent> WaitForAsync(Func<BrowserEvent, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var received = await NextAsync(cancellationToken);
            if (predicate(received))
            {
                return received;
            }
        }
    }

    public async Task SendFramesAsync(byte[] pcm, CancellationToken cancellationToken)
    {
        foreach (var frame in TestAudio.Frames(pcm))
        {
            await browser.SendBinaryAsync(frame, cancellationToken);
        }
    }
}
