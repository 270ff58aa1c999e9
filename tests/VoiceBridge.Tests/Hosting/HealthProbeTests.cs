using VoiceBridge.Hosting;

namespace VoiceBridge.Tests.Hosting;

public sealed class HealthProbeTests
{
    [Fact]
    public void IsRequested_OnlyForTheFlagInFirstPosition()
    {
        Assert.True(HealthProbe.IsRequested(["--health-probe"]));
        Assert.True(HealthProbe.IsRequested(["--health-probe", "http://127.0.0.1:1/healthz"]));
        Assert.False(HealthProbe.IsRequested([]));
        Assert.False(HealthProbe.IsRequested(["--urls", "--health-probe"]));
    }
}
