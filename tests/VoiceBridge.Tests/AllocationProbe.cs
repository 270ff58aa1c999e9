namespace VoiceBridge.Tests;

/// <summary>Measures what a piece of code allocates on the calling thread.</summary>
internal static class AllocationProbe
{
    /// <summary>
    /// Bytes allocated on this thread by the quietest of <paramref name="rounds"/> runs of <paramref name="body"/>.
    /// Tiered compilation can allocate on the calling thread while it swaps optimised code into a running loop
    /// (seen: 3,600 B in one run of a loop that allocates nothing); code that really allocates does so in every
    /// round, so the fewest bytes is the honest figure.
    /// </summary>
    public static long FewestBytes(Action body, int rounds = 5)
    {
        var fewest = long.MaxValue;
        for (var round = 0; round < rounds && fewest != 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            body();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
