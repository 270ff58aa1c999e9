using System.Globalization;
using VoiceBridge.Bench;

// Exit codes: 0 ran and every frame came back in order; 1 the tool failed or frames were lost/reordered;
// 2 bad command line. Speed is never a failure: the figures are printed, not asserted.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    await Console.Error.WriteLineAsync($"bench: {ex.Message}\n{BenchOptions.Usage}");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    return await BenchRunner.RunAsync(options, cancel.Token);
}
catch (Exception ex) when (ex is not OperationCanceledException || !cancel.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: FAILED: {ex}"));
    return 1;
}
