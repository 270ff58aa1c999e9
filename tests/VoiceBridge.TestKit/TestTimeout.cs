using System.Diagnostics;

namespace VoiceBridge.TestKit;

/// <summary>
/// The bound on every async test: how long a test may wait for something before it fails instead of hanging
/// the run. Not a measure of how fast anything must be: assert durations explicitly where they matter.
/// </summary>
public static class TestTimeout
{
    /// <summary>The usual bound, generous for a loaded two-core machine.</summary>
    public const int DefaultSeconds = 20;

    /// <summary>
    /// A token cancelled after <paramref name="seconds"/> (never while a debugger is attached). Its source is left to
    /// its own timer: a test ends before it does.
    /// </summary>
    public static CancellationToken Token(int seconds = DefaultSeconds) => Source(seconds).Token;

    /// <summary>A source cancelled after <paramref name="seconds"/>, for a test that disposes it or also cancels it itself.</summary>
    public static CancellationTokenSource Source(int seconds = DefaultSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        return Debugger.IsAttached ? new CancellationTokenSource() : new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    }
}
