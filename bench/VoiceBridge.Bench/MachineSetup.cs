using System.Diagnostics;
using System.Globalization;

namespace VoiceBridge.Bench;

/// <summary>Core pinning (bridge on core 0, this process on core 1) and where the repository is.</summary>
internal static class MachineSetup
{
    /// <summary>Pins this process to core 1 and returns the core for the bridge, or null (and why) when it cannot.</summary>
    public static (string? BridgeCore, string Description) Pin(bool wanted)
    {
        if (!wanted)
        {
            return (null, "not pinned (--no-pin)");
        }

        if (!OperatingSystem.IsLinux())
        {
            return (null, "not pinned (not Linux)");
        }

        if (Environment.ProcessorCount < 2)
        {
            return (null, $"not pinned ({Environment.ProcessorCount} core visible; bridge, load and echo share it)");
        }

        if (!OnPath("taskset"))
        {
            return (null, "not pinned (no taskset on PATH)");
        }

        // -a: every thread already running; threads started later inherit the mask.
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-cp", "1", pid]) { RedirectStandardOutput = true, UseShellExecute = false });
        taskset?.StandardOutput.ReadToEnd();
        taskset?.WaitForExit();
        if (taskset is null || taskset.ExitCode != 0)
        {
            return (null, "not pinned (taskset failed)");
        }

        return ("0", $"pinned: bridge on core 0, load generator + echo upstream on core 1 (taskset; {Environment.ProcessorCount} cores)");
    }

    public static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "VoiceBridge.sln")) && File.Exists(Path.Combine(dir.FullName, "scripts", "publish.sh")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("cannot find the repository root (VoiceBridge.sln + scripts/publish.sh); run from the clone or pass --bridge");
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
