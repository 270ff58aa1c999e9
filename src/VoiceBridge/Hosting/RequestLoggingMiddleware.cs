using VoiceBridge.Diagnostics;

namespace VoiceBridge.Hosting;

/// <summary>
/// One line per plain HTTP request: method, path (never the query string, which may carry a token), status and
/// time. WebSocket sessions log their own open and close lines instead; health probes log at Debug.
/// </summary>
internal sealed class RequestLoggingMiddleware
{
    private readonly RequestDelegate _next;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RequestLoggingMiddleware> _logger;

    public RequestLoggingMiddleware(RequestDelegate next, TimeProvider timeProvider, ILogger<RequestLoggingMiddleware> logger)
    {
        _next = next;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        var started = _timeProvider.GetTimestamp();
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            var path = context.Request.Path.Value ?? "/";
            var elapsed = _timeProvider.GetElapsedTime(started).TotalMilliseconds;
            if (path is HealthEndpoints.HealthPath or HealthEndpoints.ReadinessPath)
            {
                Log.ProbeRequest(_logger, context.Request.Method, path, context.Response.StatusCode, elapsed);
            }
            else
            {
                Log.Request(_logger, context.Request.Method, path, context.Response.StatusCode, elapsed);
            }
        }
    }
}
