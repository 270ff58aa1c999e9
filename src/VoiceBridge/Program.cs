var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
await app.RunAsync();

/// <summary>Entry point type, public so that WebApplicationFactory can find it.</summary>
public partial class Program;
