using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VoiceBridge.IntegrationTests.Diagnostics;

/// <summary>An OTLP/HTTP receiver on loopback that keeps every export request it gets.</summary>
internal sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<OtlpRequest> _requests = Channel.CreateUnbounded<OtlpRequest>();

    private FakeOtlpCollector(WebApplication app)
    {
        _app = app;
    }

    public Uri Url { get; private set; } = null!;

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var collector = new FakeOtlpCollector(builder.Build());
        collector._app.MapPost("/v1/metrics", collector.ReceiveAsync);
        await collector._app.StartAsync();
        var address = collector._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        collector.Url = new Uri(address);
        return collector;
    }

    /// <summary>Waits for an export whose payload contains <paramref name="text"/> (protobuf keeps names as UTF-8).</summary>
    public async Task<OtlpRequest> WaitForExportContainingAsync(string text, CancellationToken cancellationToken)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        while (true)
        {
            var request = await _requests.Reader.ReadAsync(cancellationToken);
            if (request.Body.AsSpan().IndexOf(needle) >= 0)
            {
                return request;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        _requests.Writer.TryWrite(new OtlpRequest(context.Request.Path, context.Request.ContentType, body.ToArray()));

        // An empty ExportMetricsServiceResponse is zero bytes of protobuf.
        context.Response.ContentType = "application/x-protobuf";
    }

    internal sealed record OtlpRequest(string Path, string? ContentType, byte[] Body);
}
