using System.Text;
using VoiceBridge.Configuration;

namespace VoiceBridge.Realtime;

/// <summary>
/// The upstream WebSocket address and the request headers for one provider. Printing it (logs,
/// debugger, <c>ToString()</c>) shows header names only, never their values.
/// </summary>
internal sealed record UpstreamEndpoint(Uri Uri, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    private const string Redacted = "***";

    // A URL that already selects what to connect to must not get a second selector: the service
    // accepts exactly one of model, call_id or intent, and Azure preview URLs use deployment.
    private static readonly string[] ConnectionSelectors = ["model", "deployment", "call_id", "intent"];

    /// <summary>
    /// OpenAI: <see cref="UpstreamOptions.Url"/> with <c>Authorization: Bearer &lt;key&gt;</c>.
    /// Azure: the same URL rule with <c>api-key: &lt;key&gt;</c>.
    /// Simulator: <paramref name="simulatorUri"/>, no credentials.
    /// In every case <c>model=&lt;Model&gt;</c> (escaped) is appended to the query unless it already
    /// names a model, deployment, call_id or intent. Never an <c>OpenAI-Beta</c> header.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The URL is not an absolute <c>ws://</c>/<c>wss://</c> URL, a real provider has no key, or the
    /// simulator has no URI. Messages never contain the key.
    /// </exception>
    public static UpstreamEndpoint Create(UpstreamOptions options, string? apiKey, Uri? simulatorUri)
    {
        ArgumentNullException.ThrowIfNull(options);

        Uri baseUri;
        KeyValuePair<string, string>[] headers;
        switch (options.Provider)
        {
            case UpstreamProvider.OpenAI:
                baseUri = ParseWebSocketUri(options.Url);
                headers = [new("Authorization", "Bearer " + RequireKey(apiKey))];
                break;
            case UpstreamProvider.Azure:
                baseUri = ParseWebSocketUri(options.Url);
                headers = [new("api-key", RequireKey(apiKey))];
                break;
            case UpstreamProvider.Simulator:
                if (simulatorUri is null)
                {
                    throw new ArgumentException("The Simulator provider needs the simulator's URI.", nameof(simulatorUri));
                }

                baseUri = ParseWebSocketUri(simulatorUri.OriginalString);
                headers = [];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown upstream provider.");
        }

        return new UpstreamEndpoint(WithModel(baseUri, options.Model), headers);
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Uri = ").Append(RedactQuery(Uri)).Append(", Headers = [");
        for (var i = 0; i < Headers.Count; i++)
        {
            builder.Append(i == 0 ? " " : ", ").Append(Headers[i].Key).Append(": ").Append(Redacted);
        }

        builder.Append(Headers.Count == 0 ? "]" : " ]");
        return true;
    }

    private static Uri ParseWebSocketUri(string? url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeWs && uri.Scheme != Uri.UriSchemeWss))
        {
            throw new ArgumentException("Upstream:Url must be an absolute ws:// or wss:// URL.", nameof(url));
        }

        return uri;
    }

    private static string RequireKey(string? apiKey) =>
        string.IsNullOrWhiteSpace(apiKey)
            ? throw new ArgumentException("An API key is required for this upstream provider.", nameof(apiKey))
            : apiKey;

    private static Uri WithModel(Uri uri, string? model)
    {
        var query = uri.Query.Length > 0 ? uri.Query[1..] : string.Empty;
        if (string.IsNullOrWhiteSpace(model) || HasSelector(query))
        {
            return uri;
        }

        var parameter = "model=" + Uri.EscapeDataString(model);
        var builder = new UriBuilder(uri)
        {
            Query = query.Length == 0 || query.EndsWith('&') ? query + parameter : query + "&" + parameter,
        };
        return builder.Uri;
    }

    private static bool HasSelector(string query)
    {
        foreach (var range in query.AsSpan().Split('&'))
        {
            var pair = query.AsSpan()[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            foreach (var selector in ConnectionSelectors)
            {
                if (name.Equals(selector, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // An operator might put Azure's api-key=… in the URL; printing must not reveal it either.
    private static string RedactQuery(Uri uri)
    {
        if (uri.Query.Length <= 1)
        {
            return uri.AbsoluteUri;
        }

        var result = new StringBuilder(uri.GetLeftPart(UriPartial.Path)).Append('?');
        var query = uri.Query.AsSpan(1);
        var first = true;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            result.Append(first ? "" : "&").Append(name);
            if (equals >= 0)
            {
                result.Append('=').Append(IsPublicParameter(name) ? pair[(equals + 1)..] : Redacted);
            }

            first = false;
        }

        return result.ToString();
    }

    // Only parameters known to carry no secret are printed in full.
    private static bool IsPublicParameter(ReadOnlySpan<char> name)
    {
        foreach (var selector in ConnectionSelectors)
        {
            if (name.Equals(selector, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return name.Equals("api-version", StringComparison.Ordinal);
    }
}
