using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using VoiceBridge.Diagnostics;

namespace VoiceBridge.Tools;

/// <summary>
/// Posts signed JSON to the bridge's webhooks through the named <see cref="HttpClient"/> <see cref="ClientName"/>, whose
/// resilience handler (Microsoft.Extensions.Http.Resilience) holds the whole call to <c>Webhooks:Timeout</c>, retries
/// at most twice on network errors, 408, 429 and 5xx, and keeps one circuit breaker per pipeline key (per tool).
/// Never throws for the webhook's behaviour: every ending is a <see cref="WebhookOutcome"/>.
/// </summary>
internal sealed class WebhookClient
{
    public const string ClientName = "voicebridge-webhooks";

    /// <summary>Request option naming the pipeline (and so the circuit breaker) a request goes through.</summary>
    public static readonly HttpRequestOptionsKey<string> PipelineKey = new("voicebridge.webhook.pipeline");

    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _factory;
    private readonly WebhookOptions _options;
    private readonly WebhookSigner _signer;
    private readonly TimeProvider _time;
    private readonly BridgeMetrics _metrics;
    private readonly IServiceProvider _services;

    public WebhookClient(IHttpClientFactory factory, IOptions<WebhookOptions> options, TimeProvider time, BridgeMetrics metrics, IServiceProvider services)
    {
        _services = services;
        _factory = factory;
        _options = options.Value;
        _signer = new WebhookSigner(_options.Secret);
        _time = time;
        _metrics = metrics;
    }

    public WebhookOptions Options => _options;

    /// <summary>The pipeline: total timeout outside, then retry, then the circuit breaker (each attempt counts towards it).</summary>
    public static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> builder, WebhookOptions options)
    {
        builder
            .AddTimeout(options.Timeout)
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,

                // A Retry-After of minutes would only run into the total timeout: the backoff is enough.
                ShouldRetryAfterHeader = false,
            })
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                // A webhook that fails half its calls (at least 10 in 30 s) gets a rest: calls fail at once for 15 s
                // instead of each waiting out the timeout.
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(15),
            });
    }

    /// <summary>
    /// Posts <paramref name="body"/> to <paramref name="url"/>, signed, with a <c>webhook-id</c> that stays the same
    /// across retries. <paramref name="kind"/> labels the delivery metric (<c>tool</c>, <c>session_ended</c>).
    /// </summary>
    public async Task<WebhookResponse> PostAsync(string kind, string pipeline, Uri url, string webhookId, string body, CancellationToken cancellationToken)
    {
        var response = await SendAsync(pipeline, url, webhookId, body, cancellationToken).ConfigureAwait(false);
        _metrics.WebhookDelivery(kind, WebhookResponse.Label(response.Outcome));
        return response;
    }

    /// <summary>A delivery that never went out (e.g. dropped from a full backlog) still counts.</summary>
    public void CountDelivery(string kind, string outcome) => _metrics.WebhookDelivery(kind, outcome);

    private async Task<WebhookResponse> SendAsync(string pipeline, Uri url, string webhookId, string body, CancellationToken cancellationToken)
    {
        // The pipeline's timeout covers the attempts up to the answer's headers; the body is read within what is left.
        using var deadline = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, url.IsAbsoluteUri ? url : OwnAddress(url));
        request.Options.Set(PipelineKey, pipeline);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = JsonType } };
        var timestamp = _time.GetUtcNow();
        request.Headers.TryAddWithoutValidation("webhook-id", webhookId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_signer.Sign(webhookId, timestamp, body) is { } signature)
        {
            request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        }

        try
        {
            var client = _factory.CreateClient(ClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                return new(WebhookOutcome.Failed, null, status);
            }

            var result = await ReadCappedAsync(response.Content, _options.MaxResultBytes, linked.Token).ConfigureAwait(false);
            return result is null ? new(WebhookOutcome.TooLarge, null, status) : new(WebhookOutcome.Ok, result, status);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or HttpRequestException or IOException)
        {
            return new(WebhookOutcome.Cancelled, null, 0);
        }
        catch (Exception e) when (e is TimeoutRejectedException || (deadline.IsCancellationRequested && e is OperationCanceledException or HttpRequestException or IOException))
        {
            return new(WebhookOutcome.Timeout, null, 0);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or BrokenCircuitException or OperationCanceledException)
        {
            return new(WebhookOutcome.Failed, null, 0);
        }
    }

    /// <summary>A relative URL (the demo's own tool endpoint) on the bridge's own listening address, over loopback.</summary>
    private Uri OwnAddress(Uri relative)
    {
        var address = _services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? "http://127.0.0.1:8080";
        var builder = new UriBuilder(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = "127.0.0.1";
        }

        return new Uri(builder.Uri, relative);
    }

    /// <summary>The body as text, or null when it is longer than <paramref name="maxBytes"/> (read no further than that).</summary>
    private static async Task<string?> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        using var collected = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (collected.Length + read > maxBytes)
            {
                return null;
            }

            collected.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length);
    }
}
