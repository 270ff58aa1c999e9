using System.Globalization;

namespace VoiceBridge.Bench;

/// <summary>The few series of the bridge's <c>GET /metrics</c> the benchmark reads.</summary>
internal sealed record MetricsScrape(double GcGen0, double GcGen1, double GcGen2, double GcPauseSeconds, double SessionsActive, double AllocatedBytes, double GcPauseMaxSeconds, double WorkItems, double JitCompiledMethods)
{
    public static readonly MetricsScrape Empty = new(0, 0, 0, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN);

    public static async Task<MetricsScrape> ReadAsync(HttpClient http, Uri bridge, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(new Uri(bridge, "/metrics"), cancellationToken).ConfigureAwait(false);
        double gen0 = 0, gen1 = 0, gen2 = 0, pause = 0, active = 0, allocated = double.NaN, pauseMax = double.NaN, workItems = double.NaN, jit = double.NaN;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space < 0 || !double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            // OpenTelemetry's exporter writes a series without labels as name{}: the same series as the bare name.
            var series = line[..space];
            if (series.EndsWith("{}", StringComparison.Ordinal))
            {
                series = series[..^2];
            }

            switch (series)
            {
                case "dotnet_gc_collections_total{generation=\"0\"}":
                    gen0 = value;
                    break;
                case "dotnet_gc_collections_total{generation=\"1\"}":
                    gen1 = value;
                    break;
                case "dotnet_gc_collections_total{generation=\"2\"}":
                    gen2 = value;
                    break;
                case "dotnet_gc_pause_seconds_total":
                    pause = value;
                    break;
                case "voicebridge_sessions_active":
                    active = value;
                    break;
                case "dotnet_gc_allocated_bytes_total":
                    allocated = value;
                    break;
                case "dotnet_gc_pause_max_seconds":
                    pauseMax = value;
                    break;
                case "dotnet_threadpool_work_items_total":
                    workItems = value;
                    break;
                case "dotnet_jit_compiled_methods_total":
                    jit = value;
                    break;
            }
        }

        return new MetricsScrape(gen0, gen1, gen2, pause, active, allocated, pauseMax, workItems, jit);
    }
}
