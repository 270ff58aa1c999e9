using Serilog;
using VoiceBridge.Configuration;
using VoiceBridge.Hosting;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

// Stage one of two: until the host's own logger exists (stage two, from the full configuration), a start-up failure
// is still one log line in the usual shape rather than a bare stack trace on stderr.
Log.Logger = LoggingSetup.CreateBootstrapLogger();
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddVoiceBridgeConfiguration();
    builder.AddVoiceBridgeLogging();
    builder.AddVoiceBridge();

    var app = builder.Build();
    app.ValidateVoiceBridgeOptions();
    app.MapVoiceBridge();
    await app.RunAsync();
    return 0;
}
catch (StartupConfigurationException e)
{
    // The documented operator answer to a bad setting: one plain line naming the key, exit code 2.
    await Console.Error.WriteLineAsync($"VoiceBridge: invalid configuration: {e.Message}");
    return 2;
}
catch (Exception e) when (e is not HostAbortedException)
{
    // HostAbortedException is WebApplicationFactory stopping the program after Build on purpose, not a failure.
    Log.Fatal(e, "VoiceBridge failed to start");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

/// <summary>Entry point type, public so that WebApplicationFactory can find it.</summary>
public partial class Program;
