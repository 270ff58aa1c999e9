using Microsoft.AspNetCore.Http.HttpResults;

namespace VoiceBridge.Hosting;

/// <summary>
/// The bridge's plain-HTTP errors, app-wide (refused upgrades, management, token and metrics routes, the connect
/// rate limit): <c>{"error":{"code":"&lt;code&gt;","message":"&lt;human text&gt;"}}</c> with the given status.
/// </summary>
internal static class JsonErrors
{
    public static JsonHttpResult<ErrorBody> Error(int status, string code, string message) =>
        TypedResults.Json(Body(code, message), statusCode: status);

    /// <summary>The body alone, for a writer outside an endpoint (the rate limiter's rejection).</summary>
    public static ErrorBody Body(string code, string message) => new(new ErrorDetail(code, message));

    internal sealed record ErrorBody(ErrorDetail Error);

    internal sealed record ErrorDetail(string Code, string Message);
}
