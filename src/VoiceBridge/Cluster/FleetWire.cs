using System.Globalization;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace VoiceBridge.Cluster;

/// <summary>
/// The fleet's pub/sub messages: <c>&lt;signature&gt; &lt;JSON&gt;</c>, the signature (<see cref="FleetSignature"/>)
/// over exactly the JSON bytes that follow. Commands are signed for <see cref="CommandPurpose"/>, replies for
/// <see cref="ReplyPurpose"/>, so neither passes for the other. Nothing secret is ever in a message: the secret only
/// keys the MAC, and an event body is what the call carries anyway.
/// </summary>
internal static class FleetWire
{
    public const string CommandPurpose = "admin";
    public const string ReplyPurpose = "admin-reply";

    public static RedisChannel Commands(string nodeId) => RedisChannel.Literal(FleetRegistry.KeyPrefix + "cmd:" + nodeId);

    public static RedisChannel Replies(string requestId) => RedisChannel.Literal(FleetRegistry.KeyPrefix + "reply:" + requestId);

    public static string NewId() => Guid.NewGuid().ToString("N");

    public static byte[] Encode<T>(T message, string secret, string purpose, DateTimeOffset now)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web);
        var signature = Encoding.ASCII.GetBytes(FleetSignature.Sign(secret, purpose, now, payload));
        var bytes = new byte[signature.Length + 1 + payload.Length];
        signature.CopyTo(bytes, 0);
        bytes[signature.Length] = (byte)' ';
        payload.CopyTo(bytes, signature.Length + 1);
        return bytes;
    }

    /// <summary>Checks the signature first (the MAC, then its age), and reads the JSON only when both hold.</summary>
    public static FleetMessageVerdict Decode<T>(ReadOnlySpan<byte> message, string secret, string purpose, DateTimeOffset now, out T? value)
        where T : class
    {
        value = null;
        var space = message.IndexOf((byte)' ');
        if (space <= 0)
        {
            return FleetMessageVerdict.Unsigned;
        }

        var signature = Encoding.ASCII.GetString(message[..space]);
        var payload = message[(space + 1)..];
        var dot = signature.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(signature.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return FleetMessageVerdict.BadSignature;
        }

        // Verified as of its own time first: a forged MAC reads as forged whatever its age, a genuine old one as stale.
        var signedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (!FleetSignature.Verify(secret, purpose, signature, signedAt, payload))
        {
            return FleetMessageVerdict.BadSignature;
        }

        if (!FleetSignature.Verify(secret, purpose, signature, now, payload))
        {
            return FleetMessageVerdict.Stale;
        }

        try
        {
            value = JsonSerializer.Deserialize<T>(payload, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return FleetMessageVerdict.Unreadable;
        }

        return value is null ? FleetMessageVerdict.Unreadable : FleetMessageVerdict.Accepted;
    }
}
