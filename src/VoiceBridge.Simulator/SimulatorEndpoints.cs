using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Simulator;

/// <summary>Maps the simulator's upgrade endpoint, doing what the real service does before the first event.</summary>
internal static class SimulatorEndpoints
{
    private const string RealtimeSubProtocol = "realtime";
    private const string DefaultModel = "gpt-realtime";

    private const string BetaRefusalMessage = "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.";
    private const string BetaRefusalCloseReason = "invalid_request_error.beta_api_shape_disabled";
    private const int BetaRefusalCloseStatus = 4000;

    private const string NotUpgradeBody =
        """{"error":{"message":"This endpoint only accepts WebSocket upgrade requests.","type":"invalid_request_error","param":null,"code":null}}""";

    private const string UnauthorizedBody =
        """{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";

    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c>: a plain GET gets 400; a wrong or missing key (when
    /// <see cref="SimulatorOptions.RequiredApiKey"/> is set) 401 before the upgrade; <c>OpenAI-Beta: realtime=v1</c>
    /// an error event and close 4000; otherwise a simulated session. <c>?api-version=…preview…</c> selects the
    /// beta dialect (Azure preview deployments); the model comes from <c>?model=</c> or <c>?deployment=</c>.
    /// </summary>
    /// <remarks>
    /// Uses the registered <see cref="RealtimeSimulator"/> if there is one, else builds one from the registered
    /// <see cref="SimulatorOptions"/> (or <see cref="IOptions{TOptions}"/>, or defaults) and <see cref="TimeProvider"/>.
    /// </remarks>
    public static IEndpointConventionBuilder MapRealtimeSimulator(this IEndpointRouteBuilder endpoints, string pattern = "/v1/realtime")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var simulator = services.GetService<RealtimeSimulator>() ?? new RealtimeSimulator(
            services.GetService<SimulatorOptions>() ?? services.GetService<IOptions<SimulatorOptions>>()?.Value ?? new SimulatorOptions(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILogger<RealtimeSimulator>>(),
            services.GetService<SimulatorJournal>());

        return endpoints.MapGet(pattern, (HttpContext context) => HandleAsync(context, simulator));
    }

    private static async Task HandleAsync(HttpContext context, RealtimeSimulator simulator)
    {
        var logger = context.RequestServices.GetRequiredService<ILogger<RealtimeSimulator>>();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            logger.UpgradeRefused(StatusCodes.Status400BadRequest, "not a WebSocket upgrade");
            await WriteJsonAsync(context, StatusCodes.Status400BadRequest, NotUpgradeBody);
            return;
        }

        if (simulator.Options.RequiredApiKey is { Length: > 0 } requiredKey && !HasKey(context.Request, requiredKey))
        {
            logger.UpgradeRefused(StatusCodes.Status401Unauthorized, "missing or wrong API key");
            await WriteJsonAsync(context, StatusCodes.Status401Unauthorized, UnauthorizedBody);
            return;
        }

        var query = context.Request.Query;
        var dialect = query["api-version"].ToString().Contains("preview", StringComparison.OrdinalIgnoreCase)
            ? SimulatorDialect.Beta
            : SimulatorDialect.GA;
        var model = FirstNonEmpty(query["model"].ToString(), query["deployment"].ToString()) ?? DefaultModel;

        var acceptContext = new WebSocketAcceptContext
        {
            SubProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(RealtimeSubProtocol) ? RealtimeSubProtocol : null,
        };
        using var socket = await context.WebSockets.AcceptWebSocketAsync(acceptContext);

        var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);

        // OpenAI refuses the retired beta interface after the upgrade; Azure preview deployments never see the header.
        if (dialect == SimulatorDialect.GA && context.Request.Headers["OpenAI-Beta"].ToString().Contains("realtime=v1", StringComparison.OrdinalIgnoreCase))
        {
            logger.BetaRefused();
            await RefuseBetaAsync(socket, stopping.Token);
            return;
        }

        await simulator.RunSessionAsync(socket, new SimulatorConnection(model, dialect), stopping.Token);
    }

    private static bool HasKey(HttpRequest request, string requiredKey)
    {
        var authorization = request.Headers.Authorization.ToString();
        var presented = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization["Bearer ".Length..].Trim()
            : request.Headers["api-key"].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(requiredKey));
    }

    private static async Task RefuseBetaAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new PooledBufferWriter();
        try
        {
            await using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("type", "error");
                w.WriteString("event_id", SimulatorIds.NewEventId());
                SimulatorSession.WriteErrorBody(w, new SimulatorClientError("beta_api_shape_disabled", BetaRefusalMessage), clientEventId: null);
                w.WriteEndObject();
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CloseHandshakeTimeout);
            await socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            await socket.CloseAsync((WebSocketCloseStatus)BetaRefusalCloseStatus, BetaRefusalCloseReason, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client left or did not answer the close in time; the socket is aborted on dispose.
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static Task WriteJsonAsync(HttpContext context, int statusCode, string body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    private static string? FirstNonEmpty(params string[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
