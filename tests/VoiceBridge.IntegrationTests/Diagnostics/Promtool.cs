using System.Diagnostics;

namespace VoiceBridge.IntegrationTests.Diagnostics;

/// <summary>
/// Prometheus' own checker (<c>promtool check metrics</c>, Debian package <c>prometheus</c>): the format as the
/// real parser reads it, plus its lint rules.
/// </summary>
internal static class Promtool
{
    public const string Executable = "promtool";

    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Executable, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: apt-get install -y prometheus (CI installs it).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardInput.WriteAsync(exposition.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }
}
