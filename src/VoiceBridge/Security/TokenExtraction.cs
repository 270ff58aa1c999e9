namespace VoiceBridge.Security;

/// <summary>
/// What <see cref="TokenExtractor"/> found: the token and its source, nothing, or (<see cref="Conflicting"/>)
/// different tokens in several places. Holds a credential: never log <see cref="Token"/>.
/// </summary>
internal readonly record struct TokenExtraction(string? Token, TokenSource Source, bool Conflicting)
{
    public static TokenExtraction None => default;

    public bool Found => Token is not null && !Conflicting;

    // A record struct prints its members; this one must not print the token.
    public override string ToString() => Conflicting ? "Conflicting" : Source.ToString();
}
