using System.Diagnostics;
using System.Text.RegularExpressions;
using VoiceBridge.Hosting;
using VoiceBridge.IntegrationTests.Docs;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>What the deployment files must agree with, taken from the bridge and its Dockerfile rather than restated.</summary>
internal static partial class DeployFacts
{
    public const string InstallHint = "run `bash scripts/install-test-deps.sh` (scripts/test.sh and .ci/run do it first)";

    /// <summary>How long the bridge's drain after SIGTERM may take (the host's shutdown timeout).</summary>
    public static TimeSpan DrainBudget => VoiceBridgeHosting.ShutdownTimeout;

    /// <summary>The port the image listens on: <c>ASPNETCORE_HTTP_PORTS</c> of the Dockerfile, which also EXPOSEs it.</summary>
    public static int ImagePort()
    {
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        var ports = HttpPortsPattern().Match(dockerfile);
        Assert.True(ports.Success, "the Dockerfile sets no ASPNETCORE_HTTP_PORTS");
        Assert.Matches($@"(?m)^EXPOSE {ports.Groups[1].Value}\s*$", dockerfile);
        return int.Parse(ports.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a checker that <c>scripts/install-test-deps.sh</c> installs; a missing one fails the test saying so.</summary>
    public static async Task<(int ExitCode, string Output)> RunToolAsync(string executable, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{executable} is not installed: {InstallHint}.", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }

    /// <summary>A compose duration (<c>15s</c>, <c>1m30s</c>, <c>500ms</c>).</summary>
    public static TimeSpan ComposeDuration(string text)
    {
        var parts = DurationPattern().Matches(text);
        Assert.True(parts.Count > 0 && string.Concat(parts.Select(p => p.Value)) == text, $"'{text}' is not a compose duration");
        return parts.Aggregate(TimeSpan.Zero, (sum, part) =>
        {
            var value = double.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return sum + part.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => TimeSpan.FromTicks((long)(value * TimeSpan.TicksPerMicrosecond)),
            };
        });
    }

    [GeneratedRegex(@"ASPNETCORE_HTTP_PORTS=(\d+)")]
    private static partial Regex HttpPortsPattern();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us)")]
    private static partial Regex DurationPattern();
}
