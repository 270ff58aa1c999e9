using Microsoft.Extensions.Options;
using VoiceBridge.Hosting;

namespace VoiceBridge.Tools;

/// <summary>
/// The demo's sample server tool, so a newcomer sees a tool call happen in the page: <c>server_clock</c>, declared in
/// Development when no tools are configured, answered by a small webhook endpoint of the bridge itself that exists
/// only in Development (with the demo page on). Type <c>/tool server_clock {}</c> in the page with the simulator.
/// </summary>
internal static class DemoClockTool
{
    public const string Name = "server_clock";

    public const string Path = "/demo/tools/clock";

    /// <summary>Relative: the webhook client resolves it against the bridge's own listening address.</summary>
    public static ToolDefinition Definition { get; } = new(
        Name,
        ToolKind.Function,
        ToolMode.Server,
        "The server's current date and time (UTC). Use it when the caller asks what time it is.",
        """{"type":"object","properties":{}}""",
        new Uri(Path, UriKind.Relative),
        ServerUrl: null,
        Authorization: null,
        AllowedTools: null);

    /// <summary>Whether this host runs the demo tool: Development, the demo page on, and no tools of the operator's.</summary>
    public static bool IsEnabled(IConfiguration configuration, IHostEnvironment environment) =>
        environment.IsDevelopment()
        && !string.Equals(configuration[DemoOptions.SectionName + ":Enabled"], "false", StringComparison.OrdinalIgnoreCase)
        && !configuration.GetSection(ToolCatalog.SectionName).GetChildren().Any();

    public static WebApplication MapDemoClockTool(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration, app.Environment) || !app.Services.GetRequiredService<IOptions<DemoOptions>>().Value.Enabled)
        {
            return app;
        }

        // A webhook in a few lines: it receives {"type":"tool.call",…,"arguments":{}} and answers with the tool's result.
        app.MapPost(Path, (TimeProvider time) => Results.Json(new { utc = time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) }));
        return app;
    }
}
