using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Security;

/// <summary>
/// Which <c>session</c> fields a party other than the server may set: a browser's
/// <c>session.update</c> (<see cref="Apply"/>, against <c>Session:ClientMayUpdate</c>) or a token's
/// <c>session</c> claim (<see cref="FindDisallowed"/> and <see cref="BuildTokenSessionUpdate"/>,
/// against <c>Session:TokenMayUpdate</c>). Built once from dotted GA paths; read-only, shareable.
/// </summary>
/// <remarks>
/// A listed path covers its whole subtree (<c>audio.input.turn_detection</c> allows
/// <c>audio.input.turn_detection.threshold</c>); an object on the way to a listed path
/// (<c>audio</c>, <c>audio.input</c>) is entered and its other members are judged one by one; any
/// other field is removed, and so is a non-object where an object on the way was expected
/// (<c>"audio": null</c> would reset more than the listed fields). <c>session.type</c> always passes.
/// Names are compared with escapes decoded, as the upstream's parser reads them; a name that
/// cannot be decoded matches nothing and is removed. Duplicated names are judged one by one.
/// </remarks>
internal sealed class SessionUpdatePolicy
{
    /// <summary>The <c>event_id</c> of the <c>session.update</c> built from a token's claim, so upstream errors about it can be traced.</summary>
    public const string TokenSessionEventId = "event_voicebridge_token_session";

    // Name written in place of one that cannot be decoded, in removed-field reports.
    private const string UndecodableName = "\uFFFD";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Server-bound JSON, as in SessionUpdateBuilder: only what JSON requires is escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Stands for session.type in claim checks: allowed, whatever the list says.
    private static readonly SessionFieldNode TypeNode = SessionFieldNode.CreateRoot([SessionFieldPaths.Type]).Children[0];

    private readonly SessionFieldNode _root;
    private readonly byte[] _container;
    private readonly BetaField[] _betaFields;

    /// <param name="allowedPaths">Dotted GA paths under <c>session</c>; blank entries are ignored.</param>
    /// <param name="shape">The shape browsers' updates use (the upstream's shape). Token claims are always GA.</param>
    /// <param name="container">
    /// The top-level member judged by <see cref="Apply"/>: <c>session</c> for <c>session.update</c>, or
    /// <c>response</c> for <c>response.create</c>, whose per-response overrides use the same field names.
    /// </param>
    /// <exception cref="ArgumentException">A path has an empty segment, or the shape is unknown.</exception>
    public SessionUpdatePolicy(IEnumerable<string> allowedPaths, SessionShape shape, string container = "session")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        _container = Encoding.UTF8.GetBytes(container);
        ArgumentNullException.ThrowIfNull(allowedPaths);
        if (shape is not (SessionShape.GA or SessionShape.Beta))
        {
            throw new ArgumentException($"Unknown session shape {shape}.", nameof(shape));
        }

        var paths = allowedPaths.Where(path => !string.IsNullOrWhiteSpace(path)).Select(path => path.Trim()).ToArray();
        _root = SessionFieldNode.CreateRoot(paths);
        AllowedPaths = paths;
        Shape = shape;
        _betaFields = [.. SessionFieldPaths.BetaToGa.Select(pair => new BetaField(pair.Key, RuleFor(_root, pair.Value)))];
    }

    public SessionShape Shape { get; }

    public IReadOnlyList<string> AllowedPaths { get; }

    /// <summary>
    /// Applies the policy to a browser <c>session.update</c> frame.
    /// </summary>
    /// <param name="frame">The browser's text frame.</param>
    /// <param name="rewritten">Receives the rewritten event, only when the outcome is <see cref="SessionUpdateOutcome.Rewritten"/>.</param>
    /// <param name="removedFields">
    /// The removed fields as dotted paths, names as the client wrote them (escapes decoded; beta
    /// names in the beta shape), in document order, each once; empty when nothing was removed.
    /// </param>
    /// <returns>
    /// <see cref="SessionUpdateOutcome.Invalid"/> when the frame is not a valid client event;
    /// <see cref="SessionUpdateOutcome.Unchanged"/> when no field is removed, including when there is
    /// no top-level <c>session</c> object (the upstream answers with its own error); otherwise
    /// <see cref="SessionUpdateOutcome.Rewritten"/> or <see cref="SessionUpdateOutcome.NothingLeft"/>.
    /// The event's <c>type</c> is not checked: the caller routes only <c>session.update</c> here.
    /// </returns>
    /// <remarks>
    /// The rewritten event copies every kept member's bytes as they were (escapes, numbers, spacing
    /// inside values); only the separators of the objects it entered are rewritten. An entered object
    /// left with no leaf is dropped whole. Every top-level property other than <c>session</c> is kept.
    /// </remarks>
    public SessionUpdateOutcome Apply(ReadOnlySpan<byte> frame, IBufferWriter<byte> rewritten, out IReadOnlyList<string> removedFields)
    {
        ArgumentNullException.ThrowIfNull(rewritten);
        removedFields = [];
        if (!ClientEventInspector.Inspect(frame).IsValid)
        {
            return SessionUpdateOutcome.Invalid;
        }

        // Removing members never lengthens JSON: the output fits in the frame's length.
        var scratch = ArrayPool<byte>.Shared.Rent(frame.Length);
        try
        {
            var output = new Output(scratch);
            var hasLeaf = false;
            List<string>? removed = null;

            // The inspector has read this frame whole: the reader cannot throw on data below.
            var reader = new Utf8JsonReader(frame);
            reader.Read();
            output.Write((byte)'{');
            var first = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex;
                var isSession = reader.ValueTextEquals(_container);
                reader.Read();
                output.Separator(ref first);
                if (isSession && reader.TokenType == JsonTokenType.StartObject)
                {
                    output.Write(frame[nameStart..(int)reader.TokenStartIndex]);
                    hasLeaf |= RewriteObject(ref reader, frame, ref output, _root, isSession: true, prefix: string.Empty, ref removed);
                }
                else
                {
                    reader.Skip();
                    output.Write(frame[nameStart..(int)reader.BytesConsumed]);
                }
            }

            output.Write((byte)'}');

            if (removed is null)
            {
                return SessionUpdateOutcome.Unchanged;
            }

            removedFields = removed;
            if (!hasLeaf)
            {
                return SessionUpdateOutcome.NothingLeft;
            }

            rewritten.Write(output.Written);
            return SessionUpdateOutcome.Rewritten;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The fields of a token's <c>session</c> claim (a partial GA session object) outside this
    /// policy, as dotted GA paths in document order; empty means the claim is acceptable.
    /// </summary>
    /// <remarks>
    /// <c>type</c> always passes. A claim that is not a JSON object gives <c>["session"]</c>. A field
    /// holding a string that cannot be decoded (an escaped lone surrogate) is refused. In the
    /// beta shape, an allowed field that has no beta spelling (anything under <c>audio</c> other
    /// than the §2.3 fields) is refused too, since <see cref="BuildTokenSessionUpdate"/> could not send it.
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
    public byte[] BuildTokenSessionUpdate(JsonElement session)
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
            writer.WriteString("event_id"u8, TokenSessionEventId);
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

    // The reader is on an object's StartObject and is left on its EndObject. Writes the object
    // with the removed members left out and returns whether any leaf remains in it.
    private bool RewriteObject(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> frame,
        ref Output output,
        SessionFieldNode node,
        bool isSession,
        string prefix,
        ref List<string>? removed)
    {
        output.Write((byte)'{');
        var first = true;
        var hasLeaf = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameStart = (int)reader.TokenStartIndex;
            var rule = Decide(ref reader, node, isSession);
            var name = rule.Kind is RuleKind.Keep or RuleKind.KeepType ? null : NameOf(ref reader);
            reader.Read();
            if (rule.Kind == RuleKind.Traverse && reader.TokenType == JsonTokenType.StartObject)
            {
                var mark = output.Position;
                var wasFirst = first;
                output.Separator(ref first);
                output.Write(frame[nameStart..(int)reader.TokenStartIndex]);
                if (RewriteObject(ref reader, frame, ref output, rule.Node!, isSession: false, prefix + name + ".", ref removed))
                {
                    hasLeaf = true;
                }
                else
                {
                    // Emptied (or empty): nothing of it is worth sending.
                    output.Position = mark;
                    first = wasFirst;
                }

                continue;
            }

            reader.Skip();
            if (rule.Kind is RuleKind.Keep or RuleKind.KeepType)
            {
                output.Separator(ref first);
                output.Write(frame[nameStart..(int)reader.BytesConsumed]);
                hasLeaf |= rule.Kind == RuleKind.Keep;
                continue;
            }

            removed ??= [];
            var path = prefix + name;
            if (!removed.Contains(path))
            {
                removed.Add(path);
            }
        }

        output.Write((byte)'}');
        return hasLeaf;
    }

    private Rule Decide(ref Utf8JsonReader reader, SessionFieldNode node, bool isSession)
    {
        if (isSession)
        {
            try
            {
                if (reader.ValueTextEquals(SessionFieldPaths.Type))
                {
                    return new Rule(RuleKind.KeepType, null);
                }

                if (Shape == SessionShape.Beta)
                {
                    foreach (var beta in _betaFields)
                    {
                        if (reader.ValueTextEquals(beta.Utf8Name))
                        {
                            return beta.Rule;
                        }
                    }
                }
            }
            catch (InvalidOperationException)
            {
                return new Rule(RuleKind.Remove, null); // An undecodable name is no field we know.
            }
        }

        return RuleFor(node.Find(ref reader));
    }

    private static Rule RuleFor(SessionFieldNode? child) => child switch
    {
        null => new Rule(RuleKind.Remove, null),
        { IsAllowed: true } => new Rule(RuleKind.Keep, null),
        _ => new Rule(RuleKind.Traverse, child),
    };

    // For a beta name mapped onto a GA path: an allowed ancestor allows it whole.
    private static Rule RuleFor(SessionFieldNode root, string gaPath)
    {
        var node = root;
        foreach (var segment in gaPath.Split('.'))
        {
            node = node.Children.FirstOrDefault(child => child.Name == segment);
            if (node is null || node.IsAllowed)
            {
                return RuleFor(node);
            }
        }

        return RuleFor(node);
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

    private static string NameOf(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            return UndecodableName;
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
            return UndecodableName;
        }
    }

    private enum RuleKind
    {
        Remove,
        Keep,
        KeepType,
        Traverse,
    }

    private readonly record struct Rule(RuleKind Kind, SessionFieldNode? Node);

    private sealed record BetaField(string Name, Rule Rule)
    {
        public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(Name);
    }

    // A cursor over the rented scratch array; a ref struct so the position travels by ref.
    private ref struct Output
    {
        private readonly Span<byte> _buffer;

        public Output(Span<byte> buffer) => _buffer = buffer;

        public int Position { get; set; }

        public readonly ReadOnlySpan<byte> Written => _buffer[..Position];

        public void Write(byte value) => _buffer[Position++] = value;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Position..]);
            Position += bytes.Length;
        }

        public void Separator(ref bool first)
        {
            if (!first)
            {
                Write((byte)',');
            }

            first = false;
        }
    }
}
