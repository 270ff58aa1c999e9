using System.Net;
using Microsoft.Extensions.Options;
using VoiceBridge.Security;

namespace VoiceBridge.Limits;

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        const string Prefix = LimitsOptions.SectionName;
        var failures = new List<string>();

        foreach (var origin in options.AllowedOrigins)
        {
            if (!OriginPolicy.TryNormalize(origin, out _))
            {
                failures.Add($"{Prefix}:AllowedOrigins entries must be origins like https://app.example.com (got '{origin}').");
            }
        }

        foreach (var proxy in options.TrustedProxies)
        {
            if (!System.Net.IPNetwork.TryParse(proxy, out _) && !IPAddress.TryParse(proxy, out _))
            {
                failures.Add($"{Prefix}:TrustedProxies entries must be IP addresses or CIDR ranges (got '{proxy}').");
            }
        }

        if (options.MaxSessions < 1)
        {
            failures.Add($"{Prefix}:MaxSessions must be at least 1 (got {options.MaxSessions}).");
        }

        if (options.MaxSessionsPerClient < 1)
        {
            failures.Add($"{Prefix}:MaxSessionsPerClient must be at least 1 (got {options.MaxSessionsPerClient}).");
        }

        if (options.ConnectsPerMinutePerIp < 1)
        {
            failures.Add($"{Prefix}:ConnectsPerMinutePerIp must be at least 1 (got {options.ConnectsPerMinutePerIp}).");
        }

        if (options.MaxSessionDuration <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:MaxSessionDuration must be positive (got {options.MaxSessionDuration}).");
        }

        if (options.IdleTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:IdleTimeout must be positive (got {options.IdleTimeout}).");
        }

        if (!(options.MaxAudioRate > 0) || double.IsInfinity(options.MaxAudioRate))
        {
            failures.Add($"{Prefix}:MaxAudioRate must be a positive number (got {options.MaxAudioRate}).");
        }

        if (options.AudioBurst <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:AudioBurst must be positive (got {options.AudioBurst}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
