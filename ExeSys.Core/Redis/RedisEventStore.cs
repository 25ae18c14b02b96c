using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Configuration;
using ExeSys.Core.Events;
using ExeSys.Core.Jobs;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Events in Redis. Per event name, one slot holds the waiters and the recent posts (<see cref="RedisKeys.EventWaiters"/>,
/// <see cref="RedisKeys.EventRecent"/>); registering and posting are atomic there, so no event slips between them.
/// A post then delivers to each matching job in the job's own slot, and wakes it in the queue slot.
/// </summary>
public sealed class RedisEventStore(IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, IOptions<JobOptions> options, RedisClock clock) : IEventStore
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<PostedEvent?> AwaitAsync(JobRef job, string name, string? whenJson)
    {
        var seen = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.EventAwait, [keys.Status(job)], [name]))!;
        if ((int)seen[0] == 1)
        {
            return new PostedEvent((string)seen[1]!);
        }

        var since = (long)seen[1];
        var recent = (RedisValue[])(await Db.EvaluateAsync(
            LuaScripts.EventWait, [keys.EventWaiters(name), keys.EventRecent(name)], [job.Member, whenJson ?? "", since]))!;
        foreach (var posted in recent)
        {
            using var doc = JsonDocument.Parse((string)posted!);
            if (Matches(whenJson, doc.RootElement.GetProperty("data")))
            {
                _ = Db.HashDeleteAsync(keys.EventWaiters(name), job.Member, CommandFlags.FireAndForget);
                return new PostedEvent(posted!);
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<JobRef>> PostAsync(string name, string dataJson)
    {
        var now = clock.Now;
        var posted = new JsonObject
        {
            ["event"] = name,
            ["data"] = JsonNode.Parse(dataJson),
            ["posted_at"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["id"] = Guid.NewGuid().ToString("N"),
        }.ToJsonString();
        var waiters = (RedisValue[])(await Db.EvaluateAsync(
            LuaScripts.EventPost, [keys.EventWaiters(name), keys.EventRecent(name)],
            [posted, now.ToUnixTimeMilliseconds(), (long)options.Value.EventRetention.TotalMilliseconds]))!;

        // The waiters whose condition holds, each delivered to by one script in its own slot; all are sent at once,
        // and the multiplexer pipelines them.
        using var data = JsonDocument.Parse(dataJson);
        var matched = new List<JobRef>();
        for (var i = 0; i + 1 < waiters.Length; i += 2)
        {
            var when = (string)waiters[i + 1]!;
            if (Matches(when.Length == 0 ? null : when, data.RootElement))
            {
                matched.Add(JobRef.Parse((string)waiters[i]!));
            }
        }

        var deliveries = matched
            .Select(job => Db.EvaluateAsync(LuaScripts.EventDeliver, [keys.Status(job)], [name, posted, now.ToUnixTimeMilliseconds()]))
            .ToList();
        var delivered = new List<JobRef>();
        var wake = new List<Requeue>();
        for (var i = 0; i < matched.Count; i++)
        {
            var reply = (RedisResult[])(await deliveries[i])!;
            switch ((int)reply[0])
            {
                case 1:
                    delivered.Add(matched[i]);
                    wake.Add(new Requeue(RequeueAction.Wake, queue.Score(clock.NowMs, RedisReplies.ParsePriority(reply[1])), matched[i]));
                    break;
                case 2:
                    delivered.Add(matched[i]);
                    break;
            }
        }

        // Woken before forgotten: a crash in between leaves the waiter, and posting again wakes the job again.
        await queue.RequeueAsync(wake);
        if (matched.Count > 0)
        {
            await Db.HashDeleteAsync(keys.EventWaiters(name), [.. matched.Select(j => (RedisValue)j.Member)]);
        }

        return delivered;
    }

    /// <summary>Whether an event's data satisfies a waiter's condition (null: any event of the name).</summary>
    private static bool Matches(string? whenJson, JsonElement data)
    {
        if (whenJson is null)
        {
            return true;
        }

        using var when = JsonDocument.Parse(whenJson);
        return EdgeCondition.Evaluate(when.RootElement, data);
    }
}
