using System.Globalization;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// One Redis server's memory, as its <c>INFO memory</c> says (a managed Redis may refuse <c>CONFIG GET</c>, not INFO):
/// used bytes, <c>maxmemory</c> (0 = no limit) and <c>maxmemory-policy</c>. Read by the readiness check and by the
/// start-up check of the eviction policy (<see cref="Hosting.RedisEvictionPolicyCheck"/>).
/// </summary>
public sealed record RedisMemory(string Server, long UsedBytes, long MaxBytes, string Policy)
{
    /// <summary>The one policy under which Redis never drops a key by itself: at maxmemory, writes fail with OOM instead.</summary>
    public const string NoEviction = "noeviction";

    /// <summary>Above this share of maxmemory the readiness check says Redis is nearly full (it refuses writes at 100%).</summary>
    public const double PressureRatio = 0.95;

    /// <summary>Redis drops keys at maxmemory: jobs, queue entries, leases and tombstones could vanish without a trace.</summary>
    public bool Evicts => !string.Equals(Policy, NoEviction, StringComparison.Ordinal);

    /// <summary>Used memory as a share of maxmemory, or null when Redis has no limit.</summary>
    public double? UsedRatio => MaxBytes > 0 ? (double)UsedBytes / MaxBytes : null;

    /// <summary>Near or over maxmemory: writes are, or are about to be, refused with OOM.</summary>
    public bool UnderPressure => UsedRatio >= PressureRatio;

    /// <summary>The memory of every connected primary (one on a single Redis, one per shard on a cluster).</summary>
    public static async Task<IReadOnlyList<RedisMemory>> ReadAsync(IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var primaries = redis.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        var memory = new List<RedisMemory>(primaries.Count);
        foreach (var server in primaries)
        {
            // Sent as a raw command: the client's own INFO wants admin mode, which ExeSys does not turn on.
            var info = await server.ExecuteAsync("INFO", "memory");
            memory.Add(Parse(server.EndPoint.ToString() ?? "redis", info.ToString()));
        }

        return memory;
    }

    /// <summary>Reads the <c>name:value</c> lines of an <c>INFO memory</c> reply; a field missing reads as 0 (or noeviction).</summary>
    public static RedisMemory Parse(string server, string info)
    {
        ArgumentNullException.ThrowIfNull(info);
        long used = 0, max = 0;
        var policy = NoEviction;
        foreach (var line in info.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            switch (line[..colon])
            {
                case "used_memory":
                    used = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "maxmemory":
                    max = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "maxmemory_policy":
                    policy = value;
                    break;
            }
        }

        return new RedisMemory(server, used, max, policy);
    }
}
