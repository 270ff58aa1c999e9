using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

/// <summary>The API key, the Authorization header, tokens in a query and audio payloads never reach a log.</summary>
public sealed class SecretHygieneTests
{
    [Fact]
    public async Task FullSessionAndFailures_LogNeitherKeysNorHeadersNorAudio()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        const string BrowserSecret = "browser-secret-token-5c1d";
        var audio = new byte[9600];
        new Random(3).NextBytes(audio);
        var audioBase64 = Convert.ToBase64String(audio);

        await using (var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri($"?access_token={BrowserSecret}"), ct, o =>
        {
            o.SetRequestHeader("Authorization", $"Bearer {BrowserSecret}");
            o.AddSubProtocol($"openai-insecure-api-key.{BrowserSecret}");
        }))
        {
            await browser.WaitForEventAsync("session.created", ct);
            await browser.SendBinaryAsync(audio, ct);
            await browser.SendTextAsync($$"""{"type":"input_audio_buffer.append","audio":"{{audioBase64}}"}""", ct);
            await browser.SendTextAsync("not json", ct);
            await browser.WaitForEventAsync("error", ct);
        }

        // A failing handshake too: its error text must not carry the key either.
        upstream.RejectNext(int.MaxValue, 401);
        await using (var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct))
        {
            await browser.ReadUntilClosedAsync(ct);
        }

        await bridge.WaitForNoSessionsAsync(ct);
        var logs = bridge.Logs.AllText;
        Assert.Contains("Session vb_", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(BridgeApp.TestApiKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(BrowserSecret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(audioBase64[..64], logs, StringComparison.Ordinal);
    }
}
