using System.Text.Json;
using System.Text.Unicode;

namespace VoiceBridge.Security;

/// <summary>
/// The optional body of <c>POST /v1/realtime/client_secrets</c>, OpenAI's shape plus <c>user</c>:
/// <c>{"expires_after":{"anchor":"created_at","seconds":N},"session":{…},"user":"&lt;sub&gt;"}</c>.
/// A JSON <c>null</c> member counts as absent, as OpenAI SDKs write them.
/// </summary>
internal sealed class ClientSecretRequest
{
    /// <summary>The lifetime when the body names none, as OpenAI's (capped by <c>Auth:MaxTokenLifetime</c>).</summary>
    public const long DefaultSeconds = 600;

    public const int MaxUserLength = 256;

    private static readonly JsonDocumentOptions StrictJson = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    private ClientSecretRequest(long seconds, string? user, JsonElement? session)
    {
        Seconds = seconds;
        User = user;
        Session = session;
    }

    /// <summary>Whole seconds the token lives, from 1 to <c>Auth:MaxTokenLifetime</c>.</summary>
    public long Seconds { get; }

    /// <summary>Becomes the token's <c>sub</c>.</summary>
    public string? User { get; }

    /// <summary>Becomes the token's <c>session</c> claim (a detached clone).</summary>
    public JsonElement? Session { get; }

    /// <summary>Parses and checks a body (empty = all defaults). On failure, <paramref name="error"/> holds a 400 code and message.</summary>
    public static bool TryParse(
        ReadOnlyMemory<byte> body,
        TimeSpan maxLifetime,
        IReadOnlyList<string> sessionMayUpdate,
        out ClientSecretRequest? request,
        out (string Code, string Message) error)
    {
        ArgumentNullException.ThrowIfNull(sessionMayUpdate);
        request = null;
        error = default;
        var maxSeconds = (long)Math.Floor(maxLifetime.TotalSeconds);
        var seconds = Math.Min(DefaultSeconds, maxSeconds);
        if (body.IsEmpty)
        {
            request = new ClientSecretRequest(seconds, null, null);
            return true;
        }

        // The reader does not check UTF-8 inside strings it is not asked to decode; the session is written back out.
        if (!Utf8.IsValid(body.Span))
        {
            error = (AuthErrorCodes.InvalidJson, "The body is not valid UTF-8 JSON.");
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, StrictJson);
        }
        catch (JsonException)
        {
            error = (AuthErrorCodes.InvalidJson, "The body is not valid JSON (or repeats a member name).");
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = (AuthErrorCodes.InvalidBody, "The body must be a JSON object.");
                return false;
            }

            string? user = null;
            JsonElement? session = null;
            foreach (var member in root.EnumerateObject())
            {
                var value = member.Value;
                switch (member.Name)
                {
                    case "expires_after":
                        if (value.ValueKind != JsonValueKind.Null && !TryReadExpiresAfter(value, maxLifetime, maxSeconds, ref seconds, out error))
                        {
                            return false;
                        }

                        break;
                    case "session":
                        if (value.ValueKind == JsonValueKind.Null)
                        {
                            break;
                        }

                        if (value.ValueKind != JsonValueKind.Object)
                        {
                            error = (AuthErrorCodes.InvalidSession, "session must be a JSON object.");
                            return false;
                        }

                        var refused = TokenSessionClaim.FindDisallowed(value, sessionMayUpdate);
                        if (refused.Count > 0)
                        {
                            error = (AuthErrorCodes.SessionFieldNotAllowed,
                                $"A client secret's session may not set: {string.Join(", ", refused)} (see VoiceBridge:Session:TokenMayUpdate).");
                            return false;
                        }

                        session = value.Clone();
                        break;
                    case "user":
                        if (value.ValueKind == JsonValueKind.Null)
                        {
                            break;
                        }

                        user = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                        if (string.IsNullOrEmpty(user) || user.Length > MaxUserLength)
                        {
                            error = (AuthErrorCodes.InvalidUser, $"user must be a non-empty string of at most {MaxUserLength} characters.");
                            return false;
                        }

                        break;
                    default:
                        error = (AuthErrorCodes.UnknownParameter, $"Unknown parameter '{Truncate(member.Name)}': expected expires_after, session or user.");
                        return false;
                }
            }

            request = new ClientSecretRequest(seconds, user, session);
            return true;
        }
    }

    private static bool TryReadExpiresAfter(JsonElement value, TimeSpan maxLifetime, long maxSeconds, ref long seconds, out (string Code, string Message) error)
    {
        error = default;
        if (value.ValueKind != JsonValueKind.Object)
        {
            error = (AuthErrorCodes.InvalidExpiresAfter, "expires_after must be an object {\"anchor\":\"created_at\",\"seconds\":N}.");
            return false;
        }

        foreach (var member in value.EnumerateObject())
        {
            switch (member.Name)
            {
                case "anchor":
                    if (member.Value.ValueKind != JsonValueKind.String || !member.Value.ValueEquals("created_at"u8))
                    {
                        error = (AuthErrorCodes.InvalidAnchor, "expires_after.anchor must be \"created_at\".");
                        return false;
                    }

                    break;
                case "seconds":
                    // TryGetInt64 refuses 1.5 and 6e2 alike: only an integer literal is a whole number of seconds.
                    if (member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetInt64(out var requested) || requested < 1)
                    {
                        error = (AuthErrorCodes.InvalidSeconds, "expires_after.seconds must be an integer of at least 1.");
                        return false;
                    }

                    if (requested > maxSeconds)
                    {
                        error = (AuthErrorCodes.LifetimeTooLong, $"expires_after.seconds may be at most {maxSeconds} (VoiceBridge:Auth:MaxTokenLifetime is {maxLifetime}).");
                        return false;
                    }

                    seconds = requested;
                    break;
                default:
                    error = (AuthErrorCodes.UnknownParameter, $"Unknown parameter 'expires_after.{Truncate(member.Name)}': expected anchor and seconds.");
                    return false;
            }
        }

        return true;
    }

    private static string Truncate(string name) => name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 64), "…");
}
