namespace VoiceBridge.Hosting;

/// <summary>
/// <c>VoiceBridge --health-probe [url]</c>: the container's HEALTHCHECK, with no curl or wget in the runtime image.
/// Exits 0 when <c>/healthz</c> answers 200, else 1.
/// </summary>
internal static class HealthProbe
{
    public const string Flag = "--health-probe";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Flag;

    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length > 1 ? args[1] : DefaultUrl();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri(url)).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"{url}: {(int)response.StatusCode}").ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            await Console.Error.WriteLineAsync($"{url}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The health URL on loopback for the port the server listens on (ASPNETCORE_HTTP_PORTS, ASPNETCORE_URLS, else 8080).</summary>
    internal static string DefaultUrl()
    {
        var port = "8080";
        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
        var urls = Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
        if (!string.IsNullOrWhiteSpace(ports))
        {
            port = ports.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        }
        else if (!string.IsNullOrWhiteSpace(urls))
        {
            var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
            var colon = first.LastIndexOf(':');
            if (colon > 0 && first.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                port = first[(colon + 1)..].TrimEnd('/');
            }
        }

        return $"http://127.0.0.1:{port}{HealthEndpoints.HealthPath}";
    }
}
