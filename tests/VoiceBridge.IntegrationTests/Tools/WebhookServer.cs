using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace VoiceBridge.IntegrationTests.Tools;

/// <summary>One request a webhook received: its headers and body as they arrived, and whether the bridge cancelled it.</summary>
internal sealed class WebhookRequest
{
    public required string Path { get; init; }

    public required IHeaderDictionary Headers { get; init; }

    public required string Body { get; init; }

    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>The bridge went away before the answer (its request was cancelled).</summary>
    public bool Aborted { get; set; }
}

/// <summary>
/// A real webhook receiver on 127.0.0.1 (Kestrel, dynamic port): records every request and answers through
/// <see cref="Handler"/> (200 with <c>{"ok":true}</c> by default). Tests wait on <see cref="Changed"/>, never sleep.
/// </summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<WebhookRequest> _requests = new();

    private WebhookServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyCollection<WebhookRequest> Requests => _requests;

    public ChangeSignal Changed { get; } = new();

    /// <summary>Answers a request (the n-th one, counting from 1); the default answers 200 <c>{"ok":true}</c>.</summary>
    public Func<HttpContext, WebhookRequest, int, Task> Handler { get; set; } = static (context, _, _) =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("""{"ok":true}""");
    };

    public Uri Url(string path) => new(BaseUri, path);

    public static async Task<WebhookServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new WebhookServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUri = new Uri(app.Urls.First());
        return server;
    }

    public Task WaitForRequestsAsync(int count, CancellationToken cancellationToken) =>
        Changed.WaitUntilAsync(() => _requests.Count >= count, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var request = new WebhookRequest
        {
            Path = context.Request.Path,
            Headers = new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)),
            Body = await reader.ReadToEndAsync(context.RequestAborted),
        };
        _requests.Enqueue(request);
        var number = _requests.Count;
        using var aborted = context.RequestAborted.Register(() =>
        {
            request.Aborted = true;
            Changed.Notify();
        });
        Changed.Notify();
        try
        {
            await Handler(context, request, number);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The bridge gave up on this request (timeout, or its session ended).
        }
    }
}
