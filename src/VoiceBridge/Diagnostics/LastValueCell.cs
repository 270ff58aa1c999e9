namespace VoiceBridge.Diagnostics;

/// <summary>The latest value of a gauge (or the total an observable counter reports).</summary>
internal sealed class LastValueCell
{
    private double _value;

    public double Value => Volatile.Read(ref _value);

    public void Set(double value) => Volatile.Write(ref _value, value);
}
