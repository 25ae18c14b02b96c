using ExeSys.Core.Queues;
using ExeSys.Core.Storage;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IQueueAdmin"/> on Redis: one queue_stats.lua per queue (in its slot; one ZCARD per non-empty lane, never
/// a scan of jobs), the registry for the workers, queue_control.lua for pause and resume.
/// </summary>
public sealed class RedisQueueAdmin(IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, OfferDirectory offers, RedisClock clock) : IQueueAdmin
{
    public async Task<IReadOnlyList<QueueState>> ListAsync()
    {
        var workers = await offers.WorkersAsync();
        var names = (await queue.KnownQueuesAsync())
            .Concat(workers.SelectMany(w => w.Queues ?? [QueueKeys.DefaultName]))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return await Task.WhenAll(names.Select(n => ReadAsync(n, workers)));
    }

    public async Task<QueueState?> GetAsync(string name) =>
        (await ListAsync()).FirstOrDefault(q => q.Name == name);

    public async Task<bool?> SetPausedAsync(string name, bool paused)
    {
        if (await GetAsync(name) is null)
        {
            return null;
        }

        var q = keys.Queue(name);
        return (int)await redis.GetDatabase().EvaluateAsync(LuaScripts.QueueControl, [q.Lanes, q.IdleSignatures], [paused ? "pause" : "resume", q.WakeChannelName, q.Base]) == 1;
    }

    private async Task<QueueState> ReadAsync(string name, IReadOnlyList<Registry.ProcessAdvert> workers)
    {
        var q = keys.Queue(name);
        var db = redis.GetDatabase();
        var limits = db.HashGetAllAsync(q.Limits);
        var r = (RedisResult[])(await db.EvaluateAsync(LuaScripts.QueueStats, [q.Lanes, q.Inflight, q.Scheduled, q.LimitedLanes], [q.Base]))!;
        var functions = new SortedDictionary<string, long>(StringComparer.Ordinal);
        double? oldest = null;
        for (var i = 3; i + 2 < r.Length; i += 3)
        {
            functions[(string)r[i]!] = (long)r[i + 1];
            var head = double.Parse((string)r[i + 2]!, System.Globalization.CultureInfo.InvariantCulture);
            oldest = oldest is null ? head : Math.Min(oldest.Value, head);
        }

        return new QueueState(
            name, functions.Values.Sum(), (long)r[1], (long)r[2],
            oldest is null ? null : Math.Max(0, clock.NowMs - (long)oldest.Value),
            (long)r[0] == 1, functions,
            [.. workers.Where(w => (w.Queues ?? [QueueKeys.DefaultName]).Contains(name, StringComparer.Ordinal)).Select(w => w.Id).Order(StringComparer.Ordinal)],
            RedisLimits.Parse(await limits, name));
    }
}
