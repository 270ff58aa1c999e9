using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Primitives;
using VoiceBridge.Security;

namespace VoiceBridge.Cluster;

/// <summary>
/// The internal hop of a relayed resume (node B, where the browser landed → node A, which holds the session): its route,
/// its headers and what their signature covers. The resume token and the browser's bridge tokens cross on the private
/// network as they came from the browser (A checks them exactly as for a local resume); the signature, an HMAC of
/// <c>Cluster:Secret</c> (<see cref="FleetSignature"/>), binds them, both node ids and the client's address to a
/// moment, so that only a node of the fleet can ask, for this node only, for 30 s.
/// </summary>
internal static class ResumeHop
{
    public const string Path = "/internal/resume";

    /// <summary>The <see cref="FleetSignature"/> purpose: a signature made for an admin command is no resume hop.</summary>
    public const string Purpose = "resume";

    public const string TokenHeader = "X-VoiceBridge-Resume-Token";
    public const string CredentialsHeader = "X-VoiceBridge-Credentials";
    public const string FromHeader = "X-VoiceBridge-From-Node";
    public const string ToHeader = "X-VoiceBridge-To-Node";
    public const string ClientHeader = "X-VoiceBridge-Client-Address";
    public const string SignatureHeader = "X-VoiceBridge-Signature";

    /// <summary>What is signed: the token by its key (its SHA-256), never the bare token.</summary>
    public static string Payload(string tokenKey, string from, string to, string clientAddress, string credentials) =>
        string.Join('\n', tokenKey, from, to, clientAddress, credentials);

    /// <summary>
    /// Every bridge token the browser's request carries, wherever it carries it (as <see cref="TokenExtractor"/> looks),
    /// each base64url-encoded, comma-separated: the owner then sees the same candidates, a conflict between two included.
    /// </summary>
    public static string CollectCredentials(HttpRequest request)
    {
        var found = new List<string>();
        void Add(string candidate)
        {
            if (!found.Contains(candidate, StringComparer.Ordinal))
            {
                found.Add(candidate);
            }
        }

        foreach (var value in request.Headers.SecWebSocketProtocol)
        {
            foreach (var range in (value ?? string.Empty).AsSpan().Split(','))
            {
                var entry = (value ?? string.Empty).AsSpan(range).Trim(" \t");
                if (entry.StartsWith(TokenExtractor.SubProtocolPrefix, StringComparison.Ordinal))
                {
                    Add(entry[TokenExtractor.SubProtocolPrefix.Length..].ToString());
                }
            }
        }

        foreach (var value in request.Headers.Authorization)
        {
            var entry = (value ?? string.Empty).AsSpan().Trim(" \t");
            if (entry.Length > 7 && entry.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase) && entry[6] is ' ' or '\t')
            {
                Add(entry[7..].Trim(" \t").ToString());
            }
        }

        if (request.Query.TryGetValue(TokenExtractor.QueryParameter, out var query))
        {
            foreach (var value in query)
            {
                Add(value ?? string.Empty);
            }
        }

        return string.Join(',', found.Select(credential => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(credential))));
    }

    /// <summary>On the owner: the forwarded candidates as <c>Authorization: Bearer</c> values, the one place the extractor reads them from.</summary>
    public static bool TryRestoreCredentials(string credentials, HttpRequest request)
    {
        var values = new List<string>();
        foreach (var range in credentials.AsSpan().Split(','))
        {
            var encoded = credentials.AsSpan(range);
            if (encoded.IsEmpty)
            {
                continue;
            }

            var bytes = new byte[Base64Url.GetMaxDecodedLength(encoded.Length)];
            if (Base64Url.DecodeFromChars(encoded, bytes, out _, out var written) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            values.Add("Bearer " + Encoding.UTF8.GetString(bytes, 0, written));
        }

        request.Headers.Authorization = new StringValues([.. values]);
        request.Headers.SecWebSocketProtocol = StringValues.Empty;
        request.QueryString = QueryString.Empty;
        return true;
    }
}
