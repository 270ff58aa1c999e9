using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using VoiceBridge.Hosting;
using VoiceBridge.Security;

namespace VoiceBridge.Limits;

/// <summary>Registration of the limits: admission, origins, the upgrade rate limiter, trusted proxies, Kestrel's own limits.</summary>
internal static class VoiceBridgeLimits
{
    public const string UpgradePolicy = "voice-upgrades";

    private const string RateLimitedMessage = "Too many connection attempts from this address; retry later.";

    /// <summary>The limiter's own answer, for a refusal decided elsewhere (the fleet-wide count).</summary>
    public static IResult RateLimited(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = RetryAfterHeader(retryAfter);
        return JsonErrors.Error(StatusCodes.Status429TooManyRequests, "rate_limited", RateLimitedMessage);
    }

    public static IServiceCollection AddVoiceBridgeLimits(this IServiceCollection services)
    {
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddSingleton<SessionAdmission>();
        services.AddSingleton<OriginPolicy>();
        services.AddHostedService<SessionLimitSweeper>();

        // Only configured proxies may rewrite the client address. The middleware only runs when some are configured:
        // with both lists empty it would trust every sender (see MapVoiceBridge).
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<LimitsOptions>>((forwarded, limits) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            forwarded.ForwardLimit = 1;
            foreach (var proxy in limits.Value.TrustedProxies)
            {
                if (System.Net.IPNetwork.TryParse(proxy, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
                else if (IPAddress.TryParse(proxy, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
            }
        });

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LimitsOptions>>((rateLimiter, limits) =>
        {
            var permits = limits.Value.ConnectsPerMinutePerIp;
            rateLimiter.AddPolicy(UpgradePolicy, context => context.WebSockets.IsWebSocketRequest
                ? RateLimitPartition.GetSlidingWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new SlidingWindowRateLimiterOptions
                    {
                        PermitLimit = permits,
                        Window = TimeSpan.FromMinutes(1),
                        SegmentsPerWindow = 6,
                        QueueLimit = 0,
                    })
                : RateLimitPartition.GetNoLimiter("not-an-upgrade"));
            rateLimiter.OnRejected = static async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(10);
                context.HttpContext.Response.Headers.RetryAfter = RetryAfterHeader(retryAfter);
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await context.HttpContext.Response.WriteAsJsonAsync(JsonErrors.Body("rate_limited", RateLimitedMessage), cancellationToken).ConfigureAwait(false);
            };
        });

        // Kestrel's own limits against slowloris upgrades and connection floods: safe defaults here,
        // overridable under Kestrel:Limits (RequestHeadersTimeout, KeepAliveTimeout, MaxConcurrentConnections, MaxConcurrentUpgradedConnections).
        services.AddOptions<KestrelServerOptions>().Configure<IConfiguration, IOptions<LimitsOptions>>((kestrel, configuration, limits) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
            kestrel.Limits.MaxConcurrentConnections = 10_000;
            kestrel.Limits.MaxConcurrentUpgradedConnections = limits.Value.MaxSessions + 100;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits);
        });

        return services;
    }

    private static string RetryAfterHeader(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
