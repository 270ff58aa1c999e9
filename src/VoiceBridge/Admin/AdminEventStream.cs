namespace VoiceBridge.Admin;

/// <summary>
/// The SSE lines of <c>GET /admin/sessions/{id}/events</c>, written the same way whether the events come from a
/// session on this node or are relayed from its node in the fleet.
/// </summary>
internal static class AdminEventStream
{
    /// <summary>How often a quiet stream gets a comment, so proxies and clients do not take it for dead.</summary>
    public static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromSeconds(15);

    public static async Task StartAsync(HttpResponse response, string id, CancellationToken token)
    {
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.WriteAsync($": watching {id}\n\n", token).ConfigureAwait(false);
        await response.Body.FlushAsync(token).ConfigureAwait(false);
    }

    public static async Task KeepAliveAsync(HttpResponse response, CancellationToken token)
    {
        await response.WriteAsync(": keep-alive\n\n", token).ConfigureAwait(false);
        await response.Body.FlushAsync(token).ConfigureAwait(false);
    }

    public static Task DroppedAsync(HttpResponse response, long dropped, CancellationToken token) =>
        response.WriteAsync($"event: dropped\ndata: {{\"dropped\":{dropped}}}\n\n", token);

    /// <summary>The <c>end</c> event with the session's final account (its JSON), then the stream is over.</summary>
    public static async Task EndAsync(HttpResponse response, string summaryJson, CancellationToken token)
    {
        await response.WriteAsync("event: end\ndata: ", token).ConfigureAwait(false);
        await response.WriteAsync(summaryJson, token).ConfigureAwait(false);
        await response.WriteAsync("\n\n", token).ConfigureAwait(false);
        await response.Body.FlushAsync(token).ConfigureAwait(false);
    }

    /// <summary>One event as SSE <c>data:</c> lines (a line break inside the JSON starts another data line, per the SSE format).</summary>
    public static async Task DataAsync(HttpResponse response, byte[] serverEvent, CancellationToken token)
    {
        var start = 0;
        while (true)
        {
            var newline = Array.IndexOf(serverEvent, (byte)'\n', start);
            var end = newline < 0 ? serverEvent.Length : newline;
            await response.Body.WriteAsync("data: "u8.ToArray(), token).ConfigureAwait(false);
            await response.Body.WriteAsync(serverEvent.AsMemory(start, end - start).TrimEnd((byte)'\r'), token).ConfigureAwait(false);
            await response.Body.WriteAsync("\n"u8.ToArray(), token).ConfigureAwait(false);
            if (newline < 0)
            {
                break;
            }

            start = newline + 1;
        }

        await response.Body.WriteAsync("\n"u8.ToArray(), token).ConfigureAwait(false);
    }
}
