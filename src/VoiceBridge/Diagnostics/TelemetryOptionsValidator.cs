using Microsoft.Extensions.Options;
using VoiceBridge.Security;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Cross-section rule: <c>Metrics=Protected</c> is only meaningful with an admin key to compare against, so a
/// missing key stops start-up instead of silently serving 401 to every scraper (or, worse, exposing metrics).
/// </summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    private readonly IOptions<AdminOptions> _admin;

    public TelemetryOptionsValidator(IOptions<AdminOptions> admin)
    {
        _admin = admin;
    }

    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        const string Prefix = TelemetryOptions.SectionName;
        var failures = new List<string>();

        if (!Enum.IsDefined(options.Metrics))
        {
            failures.Add($"{Prefix}:Metrics must be Open, Protected or Off (got {options.Metrics}).");
        }

        if (options.Metrics == MetricsAccess.Protected && string.IsNullOrWhiteSpace(_admin.Value.ApiKey))
        {
            failures.Add($"{Prefix}:Metrics is Protected but {AdminOptions.SectionName}:ApiKey is not set: set the key, or use Open or Off.");
        }

        if (options.ForwardSampleEvery is < 1 or > TelemetryOptions.MaxForwardSampleEvery)
        {
            failures.Add($"{Prefix}:ForwardSampleEvery must be between 1 and {TelemetryOptions.MaxForwardSampleEvery} (got {options.ForwardSampleEvery}).");
        }

        if (options.OtlpEndpoint is not null
            && (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var otlp) || otlp.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(otlp.UserInfo)))
        {
            failures.Add($"{Prefix}:OtlpEndpoint must be an absolute http:// or https:// URL without credentials, e.g. http://otel-collector:4317.");
        }

        if (!Enum.IsDefined(options.OtlpProtocol))
        {
            failures.Add($"{Prefix}:OtlpProtocol must be Grpc or HttpProtobuf (got {options.OtlpProtocol}).");
        }

        if (options.OtlpExportInterval < TimeSpan.FromMilliseconds(100) || options.OtlpExportInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{Prefix}:OtlpExportInterval must be between 00:00:00.100 and 01:00:00 (got {options.OtlpExportInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
