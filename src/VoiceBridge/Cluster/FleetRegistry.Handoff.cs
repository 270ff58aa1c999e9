namespace VoiceBridge.Cluster;

/// <summary>
/// Values one node leaves for whichever node needs them next, taken once: Twilio's stream token, minted by the node
/// that answers the voice webhook and redeemed by the node Twilio's media socket reaches (a load balancer may pick
/// another). Keys are hashes the caller computes; values expire in Redis on their own.
/// </summary>
internal sealed partial class FleetRegistry
{
    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> for <paramref name="lifetime"/>; false when Redis cannot take it.</summary>
    public async ValueTask<bool> TryHandOffAsync(string key, string value, TimeSpan lifetime)
    {
        if (!Enabled || !IsConnected || _redis is null)
        {
            return false;
        }

        try
        {
            return await _redis.GetDatabase().StringSetAsync(KeyPrefix + "handoff:" + key, value, lifetime).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Disconnected(e);
            return false;
        }
    }

    /// <summary>Takes (reads and deletes, in one step) what was handed off under <paramref name="key"/>; null when absent or Redis is unreachable.</summary>
    public async ValueTask<string?> TryTakeAsync(string key)
    {
        if (!Enabled || !IsConnected || _redis is null)
        {
            return null;
        }

        try
        {
            // GETDEL: two nodes presenting the same token cannot both get it.
            var value = await _redis.GetDatabase().StringGetDeleteAsync(KeyPrefix + "handoff:" + key).ConfigureAwait(false);
            return value.IsNull ? null : value.ToString();
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Disconnected(e);
            return null;
        }
    }
}
