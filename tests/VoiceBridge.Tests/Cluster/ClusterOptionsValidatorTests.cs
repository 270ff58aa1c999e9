using VoiceBridge.Cluster;

namespace VoiceBridge.Tests.Cluster;

public sealed class ClusterOptionsValidatorTests
{
    private const string Password = "r3dis-pa55word-9c1e";
    private const string Secret = "cluster-secret-5b2d4f6a8c0e";

    private static ClusterOptions Valid() => new()
    {
        Redis = $"redis.internal:6379,password={Password}",
        Secret = Secret,
        InternalUrl = "http://10.0.0.5:8080",
    };

    [Fact]
    public void Validate_WithoutRedis_NothingElseIsRequired()
    {
        var options = new ClusterOptions { LeaseTime = TimeSpan.Zero, MaxFleetSessions = -1 };

        Assert.False(options.Enabled);
        Assert.True(new ClusterOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_Complete_Succeeds()
    {
        Assert.True(new ClusterOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Theory]
    [InlineData(nameof(ClusterOptions.Secret), "VoiceBridge:Cluster:Secret")]
    [InlineData(nameof(ClusterOptions.InternalUrl), "VoiceBridge:Cluster:InternalUrl")]
    public void Validate_RedisWithoutARequiredKey_FailsNamingIt(string property, string key)
    {
        var options = Valid();
        typeof(ClusterOptions).GetProperty(property)!.SetValue(options, " ");

        var result = new ClusterOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains(key, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadValues_NameEachKeyAndNeverTheSecrets()
    {
        var options = Valid();
        options.Redis = $"redis.internal:6379,password={Password},connectTimeout=soon";
        options.InternalUrl = "ftp://10.0.0.5";
        options.LeaseTime = TimeSpan.FromMilliseconds(500);
        options.MaxFleetSessions = -1;

        var result = new ClusterOptionsValidator().Validate(null, options);

        var text = string.Join('\n', result.Failures!);
        Assert.Contains("VoiceBridge:Cluster:Redis", text, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Cluster:InternalUrl", text, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Cluster:LeaseTime", text, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Cluster:MaxFleetSessions", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
    }

    [Fact]
    public void EffectiveNodeId_Default_IsHostNameAndProcessId()
    {
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", new ClusterOptions().EffectiveNodeId);
        Assert.Equal("node-7", new ClusterOptions { NodeId = "node-7" }.EffectiveNodeId);
    }

    [Theory]
    [InlineData(15000, 1000)]
    [InlineData(1500, 500)]
    public void HeartbeatPeriod_IsWellWithinTheLease(int leaseMs, int periodMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(periodMs), FleetHeartbeat.Period(TimeSpan.FromMilliseconds(leaseMs)));
    }
}
