using System.Globalization;
using ExeSys.Core.Limits;
using ExeSys.Core.Queues;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The limits (ExeSys:Limits) in Redis, where the claim reads them (<see cref="RedisKeys.QueueLimits"/>, in the queue
/// slot): one shared truth for every worker. The controller publishes its own at start; every process compares its own
/// with what Redis holds, and warns when they differ (the API decides which jobs go into lanes from its own).
/// </summary>
public sealed class RedisLimits(IConnectionMultiplexer redis, RedisKeys keys, IOptions<LimitsOptions> options, QueueRouting routing)
{
    /// <summary>This process's limits, as Redis holds them.</summary>
    public IReadOnlyDictionary<string, string> Configured { get; } = options.Value.ToScopes();

    /// <summary>
    /// Replaces the limits in Redis with this process's, in the slot of every configured queue (each queue's claims
    /// read their own). True when that changed them anywhere.
    /// </summary>
    public async Task<bool> PublishAsync()
    {
        var args = Configured.SelectMany(p => new RedisValue[] { p.Key, p.Value }).ToArray();
        var db = redis.GetDatabase();
        var changed = await Task.WhenAll(routing.Configured.Select(q => db.EvaluateAsync(LuaScripts.LimitsPublish, [keys.Queue(q).Limits], args)));
        return changed.Any(c => (int)c == 1);
    }

    /// <summary>The limits Redis holds (in the default queue's slot).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(keys.Default.Limits);
        return entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
    }

    /// <summary>
    /// The limits of a queue's hash that apply to <paramref name="queue"/>: its own (<c>q:</c>) and every function's
    /// (<c>f:</c>), each as max concurrency, rate per period and period ms (0 = none).
    /// </summary>
    public static IReadOnlyDictionary<string, (int MaxConcurrency, int RatePerPeriod, long RatePeriodMs)> Parse(HashEntry[] entries, string queue)
    {
        var limits = new SortedDictionary<string, (int, int, long)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var scope = (string)entry.Name!;
            var parts = ((string)entry.Value!).Split('|');
            if (parts.Length == 3 && (scope.StartsWith("f:", StringComparison.Ordinal) || scope == "q:" + queue))
            {
                limits[scope] = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
            }
        }

        return limits;
    }

    /// <summary>How this process's limits differ from <paramref name="held"/>, one line per scope; empty when they agree.</summary>
    public IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> held) =>
        [.. Configured.Keys.Union(held.Keys).Order(StringComparer.Ordinal)
            .Where(scope => Configured.GetValueOrDefault(scope) != held.GetValueOrDefault(scope))
            .Select(scope => $"{scope}: here {Configured.GetValueOrDefault(scope) ?? "none"}, in Redis {held.GetValueOrDefault(scope) ?? "none"}")];
}
