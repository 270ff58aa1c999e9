namespace VoiceBridge.Diagnostics;

/// <summary>Lock-free addition to a shared <see cref="double"/> (there is no <c>Interlocked.Add</c> for it).</summary>
internal static class AtomicDouble
{
    public static void Add(ref double target, double value)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var observed = Interlocked.CompareExchange(ref target, current + value, current);

            // Compare bits, as CompareExchange does: NaN never equals itself and would spin forever.
            if (BitConverter.DoubleToInt64Bits(observed) == BitConverter.DoubleToInt64Bits(current))
            {
                return;
            }

            current = observed;
        }
    }
}
