using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;
using VoiceBridge.Tools;

namespace VoiceBridge.Telephony;

/// <summary>What every phone call shares: its own server <c>session.update</c> (µ-law both ways, the phone's instructions and voice) and the greeting.</summary>
internal sealed class TwilioServices
{
    public TwilioServices(IOptions<TwilioOptions> options, IOptions<RealtimeSessionOptions> session, IOptions<UpstreamOptions> upstream, TwilioCallTokens tokens, ToolServices? tools = null)
    {
        Options = options.Value;
        Tokens = tokens;
        var browsers = session.Value;
        var phone = new RealtimeSessionOptions
        {
            Instructions = Options.Instructions ?? browsers.Instructions,
            Voice = Options.Voice ?? browsers.Voice,
            TurnDetection = browsers.TurnDetection,
            TranscriptionModel = browsers.TranscriptionModel,
        };
        var update = SessionUpdateBuilder.Build(phone, upstream.Value.SessionShape, muLaw: true);
        SessionUpdate = tools is null ? update : ToolSessionJson.AddServerTools(update, tools.Catalog);
        if (!string.IsNullOrEmpty(Options.Greeting))
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "response.create"u8);
                writer.WriteString("event_id"u8, "event_voicebridge_greeting"u8);
                writer.WriteStartObject("response"u8);
                writer.WriteString("instructions"u8, Options.Greeting);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            Greeting = buffer.WrittenSpan.ToArray();
        }
    }

    public TwilioOptions Options { get; }

    public TwilioCallTokens Tokens { get; }

    /// <summary>A phone session's first upstream frame.</summary>
    public byte[] SessionUpdate { get; }

    /// <summary>The <c>response.create</c> that makes the assistant speak first, or null.</summary>
    public byte[]? Greeting { get; }
}
