using System.Globalization;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace VoiceBridge.Cluster;

/// <summary>
/// An admin action one node asks of the node that holds the session, published on that node's command channel.
/// <paramref name="Id"/> is unique per message (the replay guard's key, and the reply channel's name);
/// <paramref name="To"/> binds it to one node, so a command captured on one node's channel is refused on another's.
/// <paramref name="Watch"/> names the event stream a <c>renew</c> or <c>unwatch</c> is about.
/// </summary>
internal sealed record FleetCommand(string Id, string From, string To, string Action, string Session, string? Watch = null, string? Reason = null, byte[]? Event = null)
{
    /// <summary>The asker still relays this stream (sent every <see cref="FleetAdminTimings.RenewPeriod"/>).</summary>
    public const string Renew = "renew";

    /// <summary>The asker stopped relaying this stream.</summary>
    public const string Unwatch = "unwatch";
}

/// <summary>
/// What the owner sends back on the request's reply channel: one <c>result</c> (status and JSON body; for a
/// <c>watch</c>, 200 starts the stream), then for a stream <c>event</c>, <c>dropped</c>, <c>alive</c> and last
/// <c>end</c> (its body the session's final account). <paramref name="Seq"/> rises by one per message, so a replayed
/// message is dropped.
/// </summary>
internal sealed record FleetReply(string Id, long Seq, string Kind, int Status = 0, string? Body = null, byte[]? Data = null, long Dropped = 0)
{
    public const string Result = "result";
    public const string Event = "event";
    public const string DroppedKind = "dropped";
    public const string Alive = "alive";
    public const string End = "end";
}

/// <summary>Why a message from the fleet was refused (or that it was not).</summary>
internal enum FleetMessageVerdict
{
    Accepted,
    Unsigned,
    BadSignature,
    Stale,
    Unreadable,
    Replayed,
    OtherNode,
}

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
