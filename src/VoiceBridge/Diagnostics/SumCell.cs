namespace VoiceBridge.Diagnostics;

/// <summary>A running total: integer measurements add exactly, floating ones through a CAS loop.</summary>
internal sealed class SumCell
{
    private long _integer;
    private double _real;

    public double Value => Interlocked.Read(ref _integer) + Volatile.Read(ref _real);

    public void Add(long value) => Interlocked.Add(ref _integer, value);

    public void Add(double value) => AtomicDouble.Add(ref _real, value);
}
