using Microsoft.Extensions.Options;
using VoiceBridge.Limits;

namespace VoiceBridge.Security;

/// <summary>
/// Cross-site WebSocket hijacking guard: when origins are configured, a browser upgrade (one that carries an
/// <c>Origin</c> header) from anywhere else is refused. A request with no <c>Origin</c> is not a browser's.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed;

    public OriginPolicy(IOptions<LimitsOptions> options)
    {
        _allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var origin in options.Value.AllowedOrigins)
        {
            if (TryNormalize(origin, out var normalized))
            {
                _allowed.Add(normalized);
            }
        }
    }

    public bool IsAllowed(HttpRequest request)
    {
        if (_allowed.Count == 0)
        {
            return true;
        }

        var origin = request.Headers.Origin;
        if (origin.Count == 0)
        {
            return true;
        }

        return origin.Count == 1 && TryNormalize(origin[0], out var normalized) && _allowed.Contains(normalized);
    }

    /// <summary><c>scheme://host[:port]</c>, lower case, default ports dropped, no path.</summary>
    public static bool TryNormalize(string? origin, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath is not ("/" or "") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }

        normalized = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}".ToLowerInvariant() : $"{uri.Scheme}://{uri.Host}:{uri.Port}".ToLowerInvariant();
        return true;
    }
}
