using System.Buffers;
using System.Text;
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
    internal const string UndecodableName = "\uFFFD";


    private readonly SessionFieldNode _root;
    private readonly byte[] _container;
    private readonly BetaField[] _betaFields;
    private readonly TokenSessionUpdateBuilder _tokenClaims;

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
        _tokenClaims = new TokenSessionUpdateBuilder(_root, shape);
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
    /// The fields of a token's <c>session</c> claim outside this policy: see <see cref="TokenSessionUpdateBuilder.FindDisallowed"/>.
    /// </summary>
    public IReadOnlyList<string> FindDisallowed(JsonElement session) => _tokenClaims.FindDisallowed(session);

    /// <summary>The second <c>session.update</c> frame, applying a token's accepted claim: see <see cref="TokenSessionUpdateBuilder.Build"/>.</summary>
    /// <exception cref="ArgumentException">The claim is not an object, or <see cref="FindDisallowed"/> refuses it.</exception>
    public byte[] BuildTokenSessionUpdate(JsonElement session) => _tokenClaims.Build(session);

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
