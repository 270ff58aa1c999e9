using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace VoiceBridge.Cluster;

/// <summary>Only with <c>Cluster:Redis</c> set is anything checked; messages never quote <c>Redis</c> or <c>Secret</c>.</summary>
internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    /// <summary>The lease is renewed several times within it; below this, a busy Redis or a GC pause could let it lapse.</summary>
    public static readonly TimeSpan MinLeaseTime = TimeSpan.FromSeconds(1);

    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        const string Prefix = ClusterOptions.SectionName;
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        try
        {
            if (ConfigurationOptions.Parse(options.Redis!).EndPoints.Count == 0)
            {
                failures.Add($"{Prefix}:Redis names no endpoint (e.g. redis:6379,password=...).");
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
        {
            // The value itself may carry a password: name the key, never the value.
            failures.Add($"{Prefix}:Redis is not a valid StackExchange.Redis configuration string (e.g. redis:6379,password=...).");
        }

        if (string.IsNullOrWhiteSpace(options.Secret))
        {
            failures.Add($"{Prefix}:Secret is required when {Prefix}:Redis is set (it authenticates the nodes to each other).");
        }

        if (string.IsNullOrWhiteSpace(options.InternalUrl))
        {
            failures.Add($"{Prefix}:InternalUrl is required when {Prefix}:Redis is set (where other nodes reach this one, e.g. http://10.0.0.5:8080).");
        }
        else if (!Uri.TryCreate(options.InternalUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            failures.Add($"{Prefix}:InternalUrl must be an absolute http:// or https:// URL (got '{options.InternalUrl}').");
        }

        if (options.NodeId is { } node && (node.Length > 200 || node.Any(char.IsControl)))
        {
            failures.Add($"{Prefix}:NodeId must be at most 200 characters without control characters.");
        }

        if (options.LeaseTime < MinLeaseTime)
        {
            failures.Add($"{Prefix}:LeaseTime must be at least {MinLeaseTime} (got {options.LeaseTime}).");
        }

        if (options.MaxFleetSessions < 0)
        {
            failures.Add($"{Prefix}:MaxFleetSessions must not be negative (got {options.MaxFleetSessions}; 0 = no fleet-wide cap).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
