using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Cluster;

namespace VoiceBridge.Tests.Cluster;

public sealed class FleetReplayGuardTests
{
    [Fact]
    public void TryAccept_SameIdWithinTheWindow_RefusedAsAReplay()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
        var guard = new FleetReplayGuard(clock);

        Assert.True(guard.TryAccept("a"));
        clock.Advance(FleetSignature.MaxAge);
        Assert.False(guard.TryAccept("a"));
        Assert.True(guard.TryAccept("b"));
    }

    [Fact]
    public void TryAccept_AfterTheWindow_ForgetsOldIds()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
        var guard = new FleetReplayGuard(clock);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(guard.TryAccept($"id{i}"));
        }

        clock.Advance(FleetReplayGuard.Window + TimeSpan.FromSeconds(1));
        Assert.True(guard.TryAccept("new"));

        // Pruned: only the new id is held, so a node's memory stays bounded by the recent traffic.
        Assert.Equal(1, guard.Count);
        Assert.True(FleetReplayGuard.Window >= FleetSignature.MaxAge * 2);
    }
}
