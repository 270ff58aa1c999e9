using Microsoft.Extensions.Primitives;

namespace VoiceBridge.Security;

/// <summary>
/// Finds the bridge token on a <c>/voice</c> upgrade request. Precedence: the subprotocol
/// <c>openai-insecure-api-key.&lt;token&gt;</c>, then <c>Authorization: Bearer</c>, then <c>?access_token=</c>.
/// The same token in several places is fine; two different tokens are <see cref="TokenExtraction.Conflicting"/>
/// (RFC 6750 §2 allows one method per request), so no one can say which credential the bridge acted on.
/// </summary>
internal static class TokenExtractor
{
    /// <summary>The prefix the official OpenAI browser clients use to carry an ephemeral key.</summary>
    public const string SubProtocolPrefix = "openai-insecure-api-key.";

    public const string QueryParameter = "access_token";

    private const string BearerScheme = "Bearer";

    public static TokenExtraction Extract(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? token = null;
        var source = TokenSource.None;
        var conflicting = false;

        void Offer(string candidate, TokenSource from)
        {
            if (token is null)
            {
                token = candidate;
                source = from;
            }
            else if (!string.Equals(token, candidate, StringComparison.Ordinal))
            {
                conflicting = true;
            }
        }

        // Parsed here rather than through IHttpWebSocketFeature so it works on any request; a header may repeat
        // and each value is a comma-separated list (RFC 6455 §11.3.4).
        foreach (var value in request.Headers.SecWebSocketProtocol)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var range in value.AsSpan().Split(','))
            {
                var entry = value.AsSpan(range).Trim(" \t");
                if (entry.StartsWith(SubProtocolPrefix, StringComparison.Ordinal))
                {
                    Offer(entry[SubProtocolPrefix.Length..].ToString(), TokenSource.SubProtocol);
                }
            }
        }

        foreach (var value in request.Headers.Authorization)
        {
            var entry = value.AsSpan().Trim(" \t");
            if (entry.Length > BearerScheme.Length
                && entry.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
                && entry[BearerScheme.Length] is ' ' or '\t')
            {
                Offer(entry[(BearerScheme.Length + 1)..].Trim(" \t").ToString(), TokenSource.AuthorizationHeader);
            }
        }

        StringValues query = request.Query.TryGetValue(QueryParameter, out var values) ? values : StringValues.Empty;
        foreach (var value in query)
        {
            Offer(value ?? string.Empty, TokenSource.QueryString);
        }

        return conflicting ? new TokenExtraction(null, TokenSource.None, Conflicting: true) : new TokenExtraction(token, source, false);
    }
}
