using System.Buffers;
using System.Text;

namespace VoiceBridge.Realtime;

/// <summary>
/// <c>Session:AllowedClientEvents</c> as precomputed UTF-8 names, matched against an inspected
/// frame without allocating. Built once; safe to share between sessions (read-only).
/// </summary>
internal sealed class ClientEventTypeSet
{
    /// <summary>The configuration value that means "any type".</summary>
    public const string AnyType = "*";

    private const int StackScratchLength = 512;

    private readonly byte[][] _names;
    private readonly int _maxNameLength;

    private ClientEventTypeSet(byte[][] names, bool allowsAny)
    {
        _names = names;
        AllowsAny = allowsAny;
        _maxNameLength = names.Length == 0 ? 0 : names.Max(n => n.Length);
    }

    /// <summary>True when the list holds <c>*</c>: every valid event passes.</summary>
    public bool AllowsAny { get; }

    /// <summary>Blank entries are ignored; <c>*</c> anywhere in the list allows any type; names are exact and case-sensitive.</summary>
    public static ClientEventTypeSet Create(IEnumerable<string> allowedTypes)
    {
        ArgumentNullException.ThrowIfNull(allowedTypes);
        var names = new List<byte[]>();
        var allowsAny = false;
        foreach (var type in allowedTypes)
        {
            if (string.IsNullOrWhiteSpace(type))
            {
                continue;
            }

            var trimmed = type.Trim();
            if (trimmed == AnyType)
            {
                allowsAny = true;
                continue;
            }

            names.Add(Encoding.UTF8.GetBytes(trimmed));
        }

        return new ClientEventTypeSet([.. names], allowsAny);
    }

    /// <summary>
    /// Whether the event type of <paramref name="frame"/> (escapes decoded) is in the set. False for
    /// an invalid inspection, even when <see cref="AllowsAny"/> (the caller has refused it already).
    /// </summary>
    public bool Contains(ReadOnlySpan<byte> frame, in ClientEventInspection inspection)
    {
        if (!inspection.IsValid)
        {
            return false;
        }

        if (AllowsAny)
        {
            return true;
        }

        if (!inspection.TypeIsEscaped)
        {
            return ContainsName(inspection.RawType(frame));
        }

        // An escape takes at most 6 bytes for 1 decoded byte: a longer raw value cannot be any name.
        if (inspection.TypeLength > _maxNameLength * 6L)
        {
            return false;
        }

        byte[]? rented = null;
        var scratch = inspection.TypeLength <= StackScratchLength
            ? stackalloc byte[StackScratchLength]
            : (rented = ArrayPool<byte>.Shared.Rent(inspection.TypeLength));
        try
        {
            return inspection.TryCopyType(frame, scratch, out var written) && ContainsName(scratch[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private bool ContainsName(ReadOnlySpan<byte> type)
    {
        foreach (var name in _names)
        {
            if (type.SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }
}
