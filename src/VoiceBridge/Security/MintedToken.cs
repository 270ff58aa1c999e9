namespace VoiceBridge.Security;

/// <summary>A freshly minted token and when it expires. Holds a credential: never log <see cref="Value"/>.</summary>
internal sealed record MintedToken(string Value, DateTimeOffset ExpiresAt)
{
    // A record prints its members; this one must not print the token.
    public override string ToString() => $"MintedToken expiring {ExpiresAt:O}";
}
