namespace VoiceBridge.Security;

/// <summary>
/// Log lines of the authentication part (event ids 50–59). Nothing here takes a token, a key or a header:
/// subjects, sources, reasons and addresses only.
/// </summary>
internal static partial class SecurityLog
{
    [LoggerMessage(50, LogLevel.Warning, "SECURITY: VoiceBridge:Auth:Mode is None in Production: anyone who can reach /voice opens sessions paid for by this server's API key. Set VoiceBridge:Auth:Mode=Token and VoiceBridge:Auth:SigningKey, and mint browser tokens with POST /v1/realtime/client_secrets.")]
    public static partial void AuthDisabledInProduction(ILogger logger);

    [LoggerMessage(51, LogLevel.Debug, "Authorized a /voice upgrade from {ClientAddress} for subject {Subject} (token from {TokenSource}, expires {ExpiresAt:O})")]
    public static partial void Authorized(ILogger logger, string clientAddress, string subject, TokenSource tokenSource, DateTimeOffset expiresAt);

    [LoggerMessage(52, LogLevel.Information, "Refused a /voice upgrade from {ClientAddress}: {ErrorCode} ({Reason}, token from {TokenSource})")]
    public static partial void Refused(ILogger logger, string clientAddress, string errorCode, string reason, TokenSource tokenSource);

    [LoggerMessage(53, LogLevel.Information, "Minted a client secret for subject {Subject}, valid {LifetimeSeconds} s until {ExpiresAt:O}, with session claim {HasSession}, for caller {CallerAddress}")]
    public static partial void Minted(ILogger logger, string subject, long lifetimeSeconds, DateTimeOffset expiresAt, bool hasSession, string callerAddress);

    [LoggerMessage(54, LogLevel.Warning, "Refused a client_secrets request from {CallerAddress}: {ErrorCode}")]
    public static partial void MintRefused(ILogger logger, string callerAddress, string errorCode);

    [LoggerMessage(55, LogLevel.Information, "Rejected a client_secrets request from {CallerAddress}: {ErrorCode}")]
    public static partial void MintRequestInvalid(ILogger logger, string callerAddress, string errorCode);
}
