using Microsoft.Extensions.Options;
using VoiceBridge.Hosting;

namespace VoiceBridge.Security;

/// <summary>
/// <c>POST /v1/realtime/client_secrets</c>: a site's backend asks the bridge for a short-lived browser token exactly
/// as it would ask OpenAI for an ephemeral key. Off (404) unless <c>Admin:ApiKey</c> is set.
/// </summary>
/// <remarks>
/// Order of answers: 404 (route off) → 401 (admin key) → 503 (no signing key) → 413/400 (body) → 200. The signing
/// key's absence is only told to a caller holding the admin key.
/// </remarks>
internal static class ClientSecretsEndpoint
{
    public const string Path = "/v1/realtime/client_secrets";

    /// <summary>A session with long instructions and tools fits; the minted token must stay under <see cref="BridgeTokenService.MaxTokenChars"/> anyway.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapClientSecrets(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, HandleAsync);
        return endpoints;
    }

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        IOptions<AdminOptions> admin,
        BridgeTokenService tokens,
        ILogger<BridgeTokenService> logger)
    {
        var caller = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (AdminKeyCheck.TryRefuse(context, admin.Value.ApiKey, out var refusal, out var code))
        {
            if (code != AuthErrorCodes.NotFound)
            {
                SecurityLog.MintRefused(logger, caller, code);
            }

            return refusal;
        }

        if (!tokens.HasSigningKey)
        {
            SecurityLog.MintRefused(logger, caller, AuthErrorCodes.SigningKeyMissing);
            return JsonErrors.Error(StatusCodes.Status503ServiceUnavailable, AuthErrorCodes.SigningKeyMissing, "This bridge has no VoiceBridge:Auth:SigningKey, so it cannot mint tokens.");
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            SecurityLog.MintRequestInvalid(logger, caller, AuthErrorCodes.RequestTooLarge);
            return JsonErrors.Error(StatusCodes.Status413PayloadTooLarge, AuthErrorCodes.RequestTooLarge, $"The body may be at most {MaxBodyBytes} bytes.");
        }

        if (!ClientSecretRequest.TryParse(body.Value, tokens.MaxTokenLifetime, tokens.SessionMayUpdate, out var request, out var error))
        {
            SecurityLog.MintRequestInvalid(logger, caller, error.Code);
            return JsonErrors.Error(StatusCodes.Status400BadRequest, error.Code, error.Message);
        }

        var minted = tokens.Mint(request!.User, request.Seconds, request.Session);
        if (minted.Value.Length > BridgeTokenService.MaxTokenChars)
        {
            SecurityLog.MintRequestInvalid(logger, caller, AuthErrorCodes.TokenTooLarge);
            return JsonErrors.Error(StatusCodes.Status400BadRequest, AuthErrorCodes.TokenTooLarge,
                $"The token would be longer than the {BridgeTokenService.MaxTokenChars} characters the bridge accepts; send a smaller session.");
        }

        SecurityLog.Minted(logger, request.User ?? "(none)", request.Seconds, minted.ExpiresAt, request.Session is not null, caller);

        // A credential: no cache on the way back may keep it.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        return TypedResults.Json(new ClientSecretResponse(minted.Value, minted.ExpiresAt.ToUnixTimeSeconds(), request.Session));
    }

    /// <summary>The whole body, or null when it is over <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var buffer = new byte[Math.Min(request.ContentLength ?? 4096, MaxBodyBytes) + 1];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > MaxBodyBytes)
                {
                    return null;
                }

                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxBodyBytes + 1));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.AsMemory(0, length);
            }

            length += read;
        }
    }
}
