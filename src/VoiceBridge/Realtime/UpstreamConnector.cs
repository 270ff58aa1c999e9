using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;
using VoiceBridge.Configuration;
using VoiceBridge.Diagnostics;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Realtime;

/// <summary>
/// Opens one upstream WebSocket per browser session: a fresh socket per attempt, a per-attempt timeout and
/// jittered retries on network errors, 429 and 5xx (never 401/403), all inside the <see cref="PipelineName"/>
/// Polly pipeline (registered in DI, so it runs on the host's <see cref="TimeProvider"/> and reports its retries
/// and timeouts on Polly's meter) run with the session's token. Only the handshake is retried, never a session in flight.
/// </summary>
internal sealed class UpstreamConnector : IUpstreamDialer
{
    /// <summary>The pipeline's name in the <see cref="ResiliencePipelineProvider{TKey}"/>, and its <c>pipeline.name</c> tag in Polly's metrics.</summary>
    public const string PipelineName = "upstream-connect";

    private readonly UpstreamTarget _target;
    private readonly BridgeSocketOptions _socketOptions;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<UpstreamConnector> _logger;

    public UpstreamConnector(
        UpstreamTarget target,
        ResiliencePipelineProvider<string> pipelines,
        IOptions<BridgeSocketOptions> socketOptions,
        TimeProvider timeProvider,
        ILogger<UpstreamConnector> logger)
    {
        _target = target;
        _socketOptions = socketOptions.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _pipeline = pipelines.GetPipeline(PipelineName);
    }

    /// <summary>Connects or throws <see cref="UpstreamConnectException"/> (or <see cref="OperationCanceledException"/> when the session ends first).</summary>
    public async Task<WebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        var endpoint = await _target.GetEndpointAsync(cancellationToken).ConfigureAwait(false);
        var started = _timeProvider.GetTimestamp();
        try
        {
            var socket = await _pipeline.ExecuteAsync(
                static (state, token) => state.Connector.ConnectOnceAsync(state.Endpoint, token),
                (Connector: this, Endpoint: endpoint),
                cancellationToken).ConfigureAwait(false);
            Log.UpstreamConnected(_logger, _timeProvider.GetElapsedTime(started).TotalMilliseconds);
            return socket;
        }
        catch (TimeoutRejectedException e)
        {
            throw new UpstreamConnectException(UpstreamFailure.Unavailable, null, retryable: true, "upstream did not complete the handshake in time", e);
        }
    }

    private async ValueTask<WebSocket> ConnectOnceAsync(UpstreamEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (ThroughProxy(endpoint.Uri))
        {
            return await ConnectThroughHttpStackAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }

        // Without a proxy, the handshake is done here and the socket carries nothing else: a ClientWebSocket would
        // keep its HTTP connection (two 4 KB buffers, a pool, the request) for the session's life, 11.6 KB per session
        // even with one SocketsHttpHandler shared by all sessions (bench/README.md, "The upstream handshake").
        try
        {
            return await WebSocketClientHandshake.ConnectAsync(
                endpoint.Uri,
                endpoint.Headers,
                _socketOptions.KeepAliveInterval,
                _socketOptions.KeepAliveTimeout,
                cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketHandshakeException e)
        {
            throw UpstreamConnectException.FromStatus(e.StatusCode, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw UpstreamConnectException.FromStatus(null, e);
        }
    }

    /// <summary>Whether the process's default proxy (<c>HTTPS_PROXY</c>, <c>ALL_PROXY</c>...) applies to this upstream, as it would for <see cref="ClientWebSocket"/>.</summary>
    private static bool ThroughProxy(Uri uri)
    {
        var proxy = HttpClient.DefaultProxy;
        var asHttp = new UriBuilder(uri) { Scheme = uri.Scheme == Uri.UriSchemeWss ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, Port = uri.Port }.Uri;
        return !proxy.IsBypassed(asHttp) && proxy.GetProxy(asHttp) is not null;
    }

    /// <summary>Through a proxy: <see cref="ClientWebSocket"/> and its HTTP stack, which know how to tunnel.</summary>
    private async ValueTask<WebSocket> ConnectThroughHttpStackAsync(UpstreamEndpoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            var options = socket.Options;
            options.KeepAliveInterval = _socketOptions.KeepAliveInterval;
            options.KeepAliveTimeout = _socketOptions.KeepAliveTimeout;
            options.CollectHttpResponseDetails = true;
            options.SetRequestHeader("User-Agent", "VoiceBridge/1.0");
            foreach (var header in endpoint.Headers)
            {
                options.SetRequestHeader(header.Key, header.Value);
            }

            await socket.ConnectAsync(endpoint.Uri, cancellationToken).ConfigureAwait(false);

            // The handshake's headers are only needed to diagnose a failure; do not keep them per session.
            socket.HttpResponseHeaders = null;
            return socket;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var status = socket.HttpStatusCode == 0 ? (System.Net.HttpStatusCode?)null : socket.HttpStatusCode;
            socket.Dispose();
            throw UpstreamConnectException.FromStatus(status, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The connect pipeline's strategies; <c>AddResiliencePipeline</c> has already given the builder the host's clock and Polly's telemetry.</summary>
    internal static void ConfigurePipeline(ResiliencePipelineBuilder builder, UpstreamOptions options, ILogger logger)
    {
        if (options.ConnectAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.ConnectAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<UpstreamConnectException>(e => e.Retryable)
                    .Handle<TimeoutRejectedException>(),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception?.Message ?? "unknown";
                    Log.UpstreamConnectRetry(logger, args.AttemptNumber + 1, reason, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        // Inside the retry: the timeout applies to each attempt.
        builder.AddTimeout(options.ConnectTimeout);
    }
}
