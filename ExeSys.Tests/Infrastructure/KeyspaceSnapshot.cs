using System.Text;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// Every key under a prefix with its type, whether it expires, and its exact bytes, read with SCAN (fine in tests).
/// Two snapshots compare equal only if nothing under the prefix was written, so "Redis unchanged" can be asserted.
/// </summary>
public sealed class KeyspaceSnapshot
{
    private KeyspaceSnapshot(string prefix, SortedDictionary<string, string> entries)
    {
        Prefix = prefix;
        Entries = entries;
    }

    public string Prefix { get; }

    /// <summary>Key (hex of its bytes when not printable) → "type expiry content", content as hex of exact bytes.</summary>
    public IReadOnlyDictionary<string, string> Entries { get; }

    /// <summary>
    /// Keys of jobs and queues, not of process liveness: leaves out the registry (heartbeats), the idle workers
    /// waiting for a handoff (renewed by every idle poll), and the run statistics that every worker flushes on its
    /// own timer (<c>{stats}</c>), which live processes rewrite all the time.
    /// </summary>
    public static bool IsJobState(string key) =>
        !key.Contains("{registry}", StringComparison.Ordinal) && !key.Contains("}:idle:", StringComparison.Ordinal)
        && !key.Contains("{stats}", StringComparison.Ordinal);

    public static async Task<KeyspaceSnapshot> TakeAsync(IConnectionMultiplexer redis, string prefix, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var db = redis.GetDatabase();
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in server.KeysAsync(pattern: prefix + ":*", pageSize: 500))
        {
            var name = (string)key!;
            if (include is not null && !include(name))
            {
                continue;
            }

            var type = await db.KeyTypeAsync(key);
            var expires = await db.KeyTimeToLiveAsync(key) is null ? "persistent" : "expiring";
            var content = type switch
            {
                RedisType.String => Hex(await db.StringGetAsync(key)),
                RedisType.Hash => Join((await db.HashGetAllAsync(key)).Select(e => $"{Hex(e.Name)}={Hex(e.Value)}")),
                RedisType.SortedSet => Join((await db.SortedSetRangeByRankWithScoresAsync(key)).Select(e => $"{Hex(e.Element)}@{e.Score:R}")),
                RedisType.Set => Join((await db.SetMembersAsync(key)).Select(Hex)),
                RedisType.List => string.Join(",", (await db.ListRangeAsync(key)).Select(Hex)),
                _ => "(unreadable type)",
            };
            entries[name] = $"{type} {expires} {content}";
        }

        return new KeyspaceSnapshot(prefix, entries);
    }

    /// <summary>One line per key that was added, removed or changed since <paramref name="before"/>; empty when nothing changed.</summary>
    public IReadOnlyList<string> ChangesSince(KeyspaceSnapshot before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var changes = new List<string>();
        foreach (var (key, value) in Entries)
        {
            if (!before.Entries.TryGetValue(key, out var old))
            {
                changes.Add($"added {key}: {value}");
            }
            else if (old != value)
            {
                changes.Add($"changed {key}: {old} -> {value}");
            }
        }

        changes.AddRange(before.Entries.Keys.Where(k => !Entries.ContainsKey(k)).Select(k => $"removed {k}"));
        return changes;
    }

    private static string Hex(RedisValue value) => value.IsNull ? "nil" : Convert.ToHexString((byte[])value!);

    // Hash fields and set members have no order of their own; sorting makes equal contents compare equal.
    private static string Join(IEnumerable<string> items) => string.Join(",", items.Order(StringComparer.Ordinal));

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (key, value) in Entries)
        {
            text.Append(key).Append(" = ").AppendLine(value);
        }

        return text.ToString();
    }
}
