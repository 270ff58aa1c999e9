using System.Diagnostics.Metrics;

namespace VoiceBridge.Tests.Diagnostics;

/// <summary>An <see cref="IMeterFactory"/> of one's own, as the host's DI would give each host.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        options.Scope = this;
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }

        _meters.Clear();
    }
}
