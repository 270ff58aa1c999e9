using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;
using VoiceBridge.Admin;
using VoiceBridge.Cluster;
using VoiceBridge.Configuration;
using VoiceBridge.Diagnostics;
using VoiceBridge.Limits;
using VoiceBridge.Realtime;
using VoiceBridge.Security;
using VoiceBridge.Sessions;
using VoiceBridge.Telephony;
using VoiceBridge.Tools;
using VoiceBridge.WebSockets;
using VoiceBridge.Simulator;

namespace VoiceBridge.Hosting;

/// <summary>The composition of the bridge: configuration, services and routes. Program.cs only calls these.</summary>
internal static class VoiceBridgeHosting
{
    public const string DefaultUrl = "http://0.0.0.0:8080";

    /// <summary>How long SIGTERM may take: below Docker's default 10 s grace period before SIGKILL.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(8);

    public static WebApplicationBuilder AddVoiceBridgeConfiguration(this WebApplicationBuilder builder)
    {
        // appsettings.json lives at the repo root and is copied next to the binary. When the content root
        // (the working directory) has none, read the copy beside the binary, at the same precedence.
        var sources = builder.Configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: "appsettings.json" } json
                && !File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json")))
            {
                var besideBinary = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
                if (File.Exists(besideBinary))
                {
                    var replacement = new JsonConfigurationSource { Path = besideBinary, Optional = true, ReloadOnChange = false };
                    replacement.ResolveFileProvider();
                    sources[i] = replacement;
                }

                _ = json;
                break;
            }
        }

        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["http_ports"])
            && string.IsNullOrEmpty(configuration["https_ports"]) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    /// <summary>
    /// Registers the bridge. Nothing here reads configuration values: they are bound when first resolved, so
    /// that every source (including a test host's overrides, applied at Build) is seen.
    /// </summary>
    public static WebApplicationBuilder AddVoiceBridge(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(sp => EffectiveProvider.Resolve(
            sp.GetRequiredService<IConfiguration>().GetSection(UpstreamOptions.SectionName).Get<UpstreamOptions>() ?? new UpstreamOptions(),
            sp.GetRequiredService<IHostEnvironment>().IsDevelopment(),
            Environment.GetEnvironmentVariable));

        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.SectionName).ValidateOnStart();
        services.AddOptions<RealtimeSessionOptions>().BindConfiguration(RealtimeSessionOptions.SectionName).ValidateOnStart();
        services.AddOptions<BridgeSocketOptions>().BindConfiguration(BridgeSocketOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>();
        services.AddSingleton<IValidateOptions<RealtimeSessionOptions>, RealtimeSessionOptionsValidator>();
        services.AddSingleton<IValidateOptions<BridgeSocketOptions>, BridgeSocketOptionsValidator>();
        services.AddOptions<ContinuityOptions>().BindConfiguration(ContinuityOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ContinuityOptions>, ContinuityOptionsValidator>();
        // Read leniently, straight from configuration: Kestrel builds its transport before the bridge validates its
        // options, and a bad value (here or elsewhere in the section) must be reported by that validation as one line.
        services.AddOptions<SocketTransportOptions>().Configure<IConfiguration>((sockets, configuration) =>
            sockets.UnsafePreferInlineScheduling =
                bool.TryParse(configuration[BridgeSocketOptions.SectionName + ":" + nameof(BridgeSocketOptions.InlineScheduling)], out var inline)
                    ? inline
                    : Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1");
        services.AddOptions<WebSocketOptions>().Configure<IOptions<BridgeSocketOptions>>((webSockets, bridge) =>
        {
            webSockets.KeepAliveInterval = bridge.Value.KeepAliveInterval;
            webSockets.KeepAliveTimeout = bridge.Value.KeepAliveTimeout;
        });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<SessionServices>();
        services.AddSingleton<SessionFactory>();
        services.AddVoiceBridgeContinuity();
        services.AddUpstreamConnector();
        // Simulator:* tunes the built-in simulator, e.g. MaxSessionDuration to try the upstream reconnect at its cap.
        services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection("VoiceBridge:Simulator").Get<SimulatorOptions>() ?? new SimulatorOptions());
        services.AddSingleton<SimulatorHost>();
        services.AddHostedService<SimulatorLifetime>();
        services.AddHostedService<SessionDrainService>();
        services.AddVoiceBridgeLimits();
        services.AddVoiceBridgeCluster();
        services.AddVoiceBridgeMetrics(builder.Configuration);
        services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        services.AddVoiceBridgeSecurity();
        services.AddVoiceBridgeTools();
        services.AddVoiceBridgeTelephony();
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.SectionName);
        return builder;
    }

    /// <summary>Validates every options class now, so that a bad value is one clear line before anything listens.</summary>
    public static WebApplication ValidateVoiceBridgeOptions(this WebApplication app)
    {
        // ASP.NET Core's own switch trusts X-Forwarded-For from every sender, which would let any client pick the
        // address that per-IP limits count: refuse it and point to the setting that names the proxies.
        if (string.Equals(app.Configuration["ForwardedHeaders_Enabled"], "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new StartupConfigurationException(
                "ASPNETCORE_FORWARDEDHEADERS_ENABLED trusts X-Forwarded-For from any sender; unset it and list your proxies in VoiceBridge:Limits:TrustedProxies.");
        }

        try
        {
            _ = app.Services.GetRequiredService<IOptions<UpstreamOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<RealtimeSessionOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<BridgeSocketOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<ContinuityOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<LimitsOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<DemoOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<WebhookOptions>>().Value;
            _ = app.Services.GetRequiredService<ToolCatalog>();
            _ = app.Services.GetRequiredService<IOptions<TwilioOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            throw new StartupConfigurationException(string.Join(" ", e.Failures), e);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key: "Failed to convert configuration value at 'VoiceBridge:…' to type …".
            throw new StartupConfigurationException(e.Message, e);
        }

        return app;
    }

    public static WebApplication MapVoiceBridge(this WebApplication app)
    {
        var provider = app.Services.GetRequiredService<EffectiveProvider>();
        var upstream = app.Services.GetRequiredService<IOptions<UpstreamOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("VoiceBridge");
        var host = provider.Provider == UpstreamProvider.Simulator ? "built-in simulator on 127.0.0.1" : SafeHost(upstream.Url);
        Log.Starting(logger, provider.ToString(), host, upstream.SessionShape.ToString());
        if (provider.FellBackToSimulator)
        {
            Log.SimulatorFallback(logger);
        }

        // X-Forwarded-For is honoured only from configured proxies. With none configured the middleware must not run
        // at all: with empty proxy lists it would trust every sender.
        if (app.Services.GetRequiredService<IOptions<LimitsOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseVoiceBridgeRequestLogging();
        app.UseDemoPage();

        // WebSockets before the rate limiter: its partitioning asks whether a request is an upgrade; the lingering
        // upgrade before WebSockets, which takes the upgrade feature it finds.
        LingeringUpgrade.UseLingeringUpgrades(app);
        app.UseWebSockets();
        app.UseRateLimiter();
        app.MapHealthEndpoints();
        app.MapMetrics();
        app.MapGet(VoiceEndpoint.Path, VoiceEndpoint.HandleAsync).RequireRateLimiting(VoiceBridgeLimits.UpgradePolicy);

        // The path the OpenAI SDKs dial ({endpoint}/realtime): point an SDK's endpoint at the bridge's /v1.
        app.MapGet(VoiceEndpoint.OpenAICompatiblePath, VoiceEndpoint.HandleAsync).RequireRateLimiting(VoiceBridgeLimits.UpgradePolicy);
        app.MapClientSecrets();
        app.MapAdmin();
        app.MapDemoClockTool();
        app.MapTwilio();
        app.MapFleetInternal();
        return app;
    }

    private static string SafeHost(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "(invalid URL)";
}
