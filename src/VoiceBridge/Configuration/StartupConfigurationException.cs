namespace VoiceBridge.Configuration;

/// <summary>A configuration problem found at start-up; its message is the one line an operator sees.</summary>
internal sealed class StartupConfigurationException : Exception
{
    public StartupConfigurationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
