using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Hosting;

/// <summary><c>VoiceBridge:Demo</c>: the browser client and its demo page, served at <c>/</c>.</summary>
internal sealed class DemoOptions
{
    public const string SectionName = "VoiceBridge:Demo";

    /// <summary>Serve <c>wwwroot</c> (the demo page and <c>voicebridge-client.js</c>) at <c>/</c>.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Serves <c>wwwroot</c>: static files only, no directory listing, nothing that reads configuration or secrets.</summary>
internal static class DemoPage
{
    // The page and its module load only from the bridge itself; the module talks only to the bridge.
    private const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    public static WebApplication UseDemoPage(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DemoOptions>>().Value.Enabled)
        {
            return app;
        }

        // wwwroot is copied next to the binary, so the page is found whatever the working directory
        // (`dotnet run`, a published folder, the container, a test host).
        var besideBinary = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        IFileProvider files = Directory.Exists(besideBinary) ? new PhysicalFileProvider(besideBinary) : app.Environment.WebRootFileProvider;

        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers["Referrer-Policy"] = "no-referrer";
                headers["Permissions-Policy"] = "microphone=(self)";
            },
        });
        return app;
    }
}
