using System.Security.Cryptography;
using System.Text;
using VoiceBridge.Hosting;

namespace VoiceBridge.Security;

/// <summary>
/// The one check of <c>Authorization: Bearer &lt;Admin:ApiKey&gt;</c>, for every route that asks for the admin key:
/// <c>/admin/*</c>, <c>/v1/realtime/client_secrets</c> and <c>/metrics</c> under <c>Telemetry:Metrics=Protected</c>.
/// </summary>
internal static class AdminKeyCheck
{
    public enum Outcome
    {
        Valid,
        Missing,
        Invalid,
    }

    private const string BearerScheme = "Bearer";

    /// <summary>
    /// Whether a management request may not proceed, and the answer: 404 when no admin key is configured (the
    /// routes do not exist), 401 for a missing or wrong key. <paramref name="code"/> is the error code, for logs.
    /// </summary>
    public static bool TryRefuse(HttpContext context, string? configuredKey, out IResult refusal, out string code)
    {
        if (string.IsNullOrEmpty(configuredKey))
        {
            code = AuthErrorCodes.NotFound;
            refusal = JsonErrors.Error(StatusCodes.Status404NotFound, code, "Not found.");
            return true;
        }

        switch (Check(context.Request, configuredKey))
        {
            case Outcome.Missing:
                code = AuthErrorCodes.MissingApiKey;
                context.Response.Headers.WWWAuthenticate = BearerScheme;
                refusal = JsonErrors.Error(StatusCodes.Status401Unauthorized, code, "Send Authorization: Bearer <VoiceBridge:Admin:ApiKey>.");
                return true;
            case Outcome.Invalid:
                code = AuthErrorCodes.InvalidApiKey;
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                refusal = JsonErrors.Error(StatusCodes.Status401Unauthorized, code, "The bearer key is not this bridge's admin key.");
                return true;
            default:
                code = string.Empty;
                refusal = Results.Empty;
                return false;
        }
    }

    /// <summary>Whether the request carries the admin key; false when no key is configured.</summary>
    public static bool IsAdmin(HttpRequest request, string? configuredKey) =>
        !string.IsNullOrEmpty(configuredKey) && Check(request, configuredKey) == Outcome.Valid;

    public static Outcome Check(HttpRequest request, string configuredKey)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(configuredKey);
        var headers = request.Headers.Authorization;
        if (headers.Count == 0)
        {
            return Outcome.Missing;
        }

        if (headers.Count > 1)
        {
            return Outcome.Invalid;
        }

        var value = (headers[0] ?? string.Empty).AsSpan().Trim(" \t");
        if (value.Length <= BearerScheme.Length
            || !value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
            || value[BearerScheme.Length] is not (' ' or '\t'))
        {
            return Outcome.Invalid;
        }

        return KeysMatch(value[(BearerScheme.Length + 1)..].Trim(" \t"), configuredKey) ? Outcome.Valid : Outcome.Invalid;
    }

    /// <summary>
    /// Constant time, length included: both sides are hashed to 32 bytes first, then compared with
    /// <see cref="CryptographicOperations.FixedTimeEquals"/> (which returns early on a length mismatch).
    /// </summary>
    public static bool KeysMatch(ReadOnlySpan<char> presented, string configuredKey)
    {
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> configuredHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToArray()), presentedHash);
        SHA256.HashData(Encoding.UTF8.GetBytes(configuredKey), configuredHash);
        return CryptographicOperations.FixedTimeEquals(presentedHash, configuredHash);
    }
}
