using Microsoft.Extensions.Logging.Abstractions;

namespace VoiceBridge.Simulator;

/// <summary>
/// The product's logger factory, minus the inner host's lifetime lines ("Now listening on…", "Hosting
/// environment: Production"), which would read as if the bridge itself listened on a second port. The
/// simulator logs its one "listening" line itself.
/// </summary>
internal sealed class QuietLifetimeLoggerFactory : ILoggerFactory
{
    private const string LifetimeCategory = "Microsoft.Hosting.Lifetime";
    private readonly ILoggerFactory _inner;

    public QuietLifetimeLoggerFactory(ILoggerFactory inner)
    {
        _inner = inner;
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(LifetimeCategory, StringComparison.Ordinal) ? NullLogger.Instance : _inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    /// <summary>The inner factory belongs to the product's host; it is not disposed here.</summary>
    public void Dispose()
    {
    }
}
