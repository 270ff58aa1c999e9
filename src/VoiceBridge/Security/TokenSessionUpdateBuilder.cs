using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Security;

/// <summary>
/// The token-claim half of <see cref="SessionUpdatePolicy"/>: which fields of a token's <c>session</c> claim the
/// <c>Session:TokenMayUpdate</c> tree allows, and the <c>session.update</c> frame that applies an accepted claim in
/// the upstream's shape (GA as is, beta translated). Shares the policy's field tree; read-only, shareable.
/// </summary>
internal sealed class TokenSessionUpdateBuilder
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Server-bound JSON, as in SessionUpdateBuilder: only what JSON requires is escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Stands for session.type in claim checks: allowed, whatever the list says.
    private static readonly SessionFieldNode TypeNode = SessionFieldNode.CreateRoot([SessionFieldPaths.Type]).Children[0];

    private readonly SessionFieldNode _root;

    public TokenSessionUpdateBuilder(SessionFieldNode root, SessionShape shape)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        Shape = shape;
    }

    public SessionShape Shape { get; }

    /// <summary>
    /// The fields of a token's <c>session</c> claim (a partial GA session object) outside this
    /// policy, as dotted GA paths in document order; empty means the claim is acceptable.
    /// </summary>
    /// <remarks>
    /// <c>type</c> always passes. A claim that is not a JSON object gives <c>["session"]</c>. A field
    /// holding a string that cannot be decoded (an escaped lone surrogate) is refused. In the
    /// beta shape, an allowed field that has no beta spelling (anything under <c>audio</c> other
    /// than the §2.3 fields) is refused too, since <see cref="Build"/> could not send it.
    /// </remarks>
    public IReadOnlyList<string> FindDisallowed(JsonElement session)
    {
        if (session.ValueKind != JsonValueKind.Object)
        {
            return ["session"];
        }

        var disallowed = new List<string>();
        CollectDisallowed(session, _root, [], disallowed);
        return disallowed;
    }

    /// <summary>
    /// The second <c>session.update</c> frame, applying a token's accepted <c>session</c> claim:
    /// <c>{"type":"session.update","event_id":"event_voicebridge_token_session","session":…}</c>.
    /// GA: the claim as is, with <c>"type":"realtime"</c> first when it has no <c>type</c>.
    /// Beta: translated to beta names and values (<c>audio.input.format</c> objects become
    /// <c>"pcm16"</c>-style strings, <c>output_modalities</c> becomes <c>modalities</c>), without <c>type</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The claim is not an object, or <see cref="FindDisallowed"/> refuses it.</exception>
    public byte[] Build(JsonElement session)
    {
        var disallowed = FindDisallowed(session);
        if (disallowed.Count > 0)
        {
            throw new ArgumentException(
                $"The session claim sets fields the policy does not allow: {string.Join(", ", disallowed)}.", nameof(session));
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, RealtimeEventTypes.SessionUpdate);
            writer.WriteString("event_id"u8, SessionUpdatePolicy.TokenSessionEventId);
            writer.WriteStartObject("session"u8);
            if (Shape == SessionShape.GA)
            {
                WriteGaClaim(writer, session);
            }
            else
            {
                WriteBetaClaim(writer, session);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void CollectDisallowed(JsonElement obj, SessionFieldNode node, List<string> segments, List<string> disallowed)
    {
        foreach (var property in obj.EnumerateObject())
        {
            segments.Add(NameOf(property));
            var child = segments.Count == 1 && IsType(property) ? TypeNode : node.Find(property);
            if (child is null)
            {
                disallowed.Add(string.Join('.', segments));
            }
            else if (child.IsAllowed)
            {
                if (!IsDecodable(property.Value))
                {
                    // It could not be written into the frame: refuse it now rather than fail the session later.
                    disallowed.Add(string.Join('.', segments));
                }
                else if (Shape == SessionShape.Beta && child != TypeNode)
                {
                    FindInexpressibleInBeta(property.Value, segments, disallowed);
                }
            }
            else if (property.Value.ValueKind == JsonValueKind.Object)
            {
                CollectDisallowed(property.Value, child, segments, disallowed);
            }
            else
            {
                disallowed.Add(string.Join('.', segments));
            }

            segments.RemoveAt(segments.Count - 1);
        }
    }

    // Beta is flat: under audio only audio.{input,output}.<a §2.3 field> has a beta name.
    private static void FindInexpressibleInBeta(JsonElement value, List<string> segments, List<string> disallowed)
    {
        if (segments[0] != SessionFieldPaths.Audio)
        {
            return;
        }

        if (segments.Count >= 3)
        {
            if (!SessionFieldPaths.GaToBeta.ContainsKey(string.Join('.', segments.Take(3))))
            {
                disallowed.Add(string.Join('.', segments));
            }

            return;
        }

        if (value.ValueKind != JsonValueKind.Object || (segments.Count == 2 && segments[1] is not ("input" or "output")))
        {
            disallowed.Add(string.Join('.', segments));
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            segments.Add(NameOf(property));
            FindInexpressibleInBeta(property.Value, segments, disallowed);
            segments.RemoveAt(segments.Count - 1);
        }
    }

    private static void WriteGaClaim(Utf8JsonWriter writer, JsonElement session)
    {
        // GA requires session.type; a partial claim may leave it out.
        if (!session.EnumerateObject().Any(IsType))
        {
            writer.WriteString("type"u8, "realtime"u8);
        }

        foreach (var property in session.EnumerateObject())
        {
            property.WriteTo(writer);
        }
    }

    private static void WriteBetaClaim(Utf8JsonWriter writer, JsonElement session)
    {
        foreach (var property in session.EnumerateObject())
        {
            var name = property.Name;
            if (name == SessionFieldPaths.Type)
            {
                continue; // Beta sessions have no type.
            }

            if (name == SessionFieldPaths.Audio)
            {
                // FindDisallowed has ensured: objects down to audio.{input,output}.<mapped name>.
                foreach (var direction in property.Value.EnumerateObject())
                {
                    foreach (var field in direction.Value.EnumerateObject())
                    {
                        var gaPath = $"audio.{direction.Name}.{field.Name}";
                        writer.WritePropertyName(SessionFieldPaths.GaToBeta[gaPath]);
                        if (field.Name == "format")
                        {
                            WriteBetaFormat(writer, field.Value);
                        }
                        else
                        {
                            field.Value.WriteTo(writer);
                        }
                    }
                }

                continue;
            }

            if (SessionFieldPaths.GaToBeta.TryGetValue(name, out var betaName))
            {
                writer.WritePropertyName(betaName);
                if (name == "output_modalities")
                {
                    WriteBetaModalities(writer, property.Value);
                }
                else
                {
                    property.Value.WriteTo(writer);
                }

                continue;
            }

            property.WriteTo(writer);
        }
    }

    // §2.4: {type:"audio/pcm",rate:24000} → "pcm16"; anything else is passed on for the upstream to judge.
    private static void WriteBetaFormat(Utf8JsonWriter writer, JsonElement format)
    {
        if (format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type"u8, out var type)
            && type.ValueKind == JsonValueKind.String)
        {
            var beta = type.ValueEquals("audio/pcm"u8) ? "pcm16"
                : type.ValueEquals("audio/pcmu"u8) ? "g711_ulaw"
                : type.ValueEquals("audio/pcma"u8) ? "g711_alaw"
                : null;
            if (beta is not null)
            {
                writer.WriteStringValue(beta);
                return;
            }
        }

        format.WriteTo(writer);
    }

    // §2.3: GA ["audio"] (audio always carries a transcript) is beta ["text","audio"].
    private static void WriteBetaModalities(Utf8JsonWriter writer, JsonElement modalities)
    {
        if (modalities.ValueKind == JsonValueKind.Array
            && modalities.EnumerateArray().Any(m => m.ValueKind == JsonValueKind.String && m.ValueEquals("audio"u8)))
        {
            writer.WriteStartArray();
            writer.WriteStringValue("text"u8);
            writer.WriteStringValue("audio"u8);
            writer.WriteEndArray();
            return;
        }

        modalities.WriteTo(writer);
    }

    private static bool IsType(JsonProperty property)
    {
        try
        {
            return property.NameEquals(SessionFieldPaths.Type);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // False when a name or string inside cannot be decoded (an escaped lone surrogate):
    // JsonElement.WriteTo would throw on it.
    private static bool IsDecodable(JsonElement value)
    {
        try
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    _ = value.GetString();
                    return true;
                case JsonValueKind.Array:
                    return value.EnumerateArray().All(IsDecodable);
                case JsonValueKind.Object:
                    foreach (var property in value.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!IsDecodable(property.Value))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string NameOf(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return SessionUpdatePolicy.UndecodableName;
        }
    }
}
