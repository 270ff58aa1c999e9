using VoiceBridge.Configuration;
using VoiceBridge.Hosting;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

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
    await Console.Error.WriteLineAsync($"VoiceBridge: invalid configuration: {e.Message}");
    return 2;
}

/// <summary>Entry point type, public so that WebApplicationFactory can find it.</summary>
public partial class Program;
