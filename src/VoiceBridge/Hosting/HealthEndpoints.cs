using VoiceBridge.Configuration;
using VoiceBridge.Sessions;

namespace VoiceBridge.Hosting;

/// <summary><c>/healthz</c> (liveness) and <c>/readyz</c> (readiness: 503 while draining for shutdown).</summary>
internal static class HealthEndpoints
{
    public const string HealthPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(HealthPath, (SessionRegistry registry, EffectiveProvider provider) => Results.Json(new HealthBody(
            Status: "ok",
            ActiveSessions: registry.Count,
            Provider: provider.Provider.ToString(),
            Simulator: provider.Provider == UpstreamProvider.Simulator,
            Draining: registry.IsDraining)));

        endpoints.MapGet(ReadinessPath, (SessionRegistry registry) => registry.IsDraining
            ? Results.Json(new ReadinessBody("draining", registry.Count), statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new ReadinessBody("ready", registry.Count)));

        return endpoints;
    }

    internal sealed record HealthBody(string Status, int ActiveSessions, string Provider, bool Simulator, bool Draining);

    internal sealed record ReadinessBody(string Status, int ActiveSessions);
}
