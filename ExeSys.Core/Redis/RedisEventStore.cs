using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Events;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Events in Redis. Per event name, one slot holds the waiters and the recent posts (<see cref="RedisKeys.EventWaiters"/>,
/// <see cref="RedisKeys.EventRecent"/>); registering and posting are atomic there, so no event slips between them.
/// A post then delivers to each matching job in the job's own slot, and wakes it in the queue slot.
/// </summary>
public sealed class RedisEventStore(IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, IOptions<JobOptions> options, RedisClock clock, QueueRouting routing) : IEventStore
{
    /// <summary>The most late waiters whose job one post checks (one short script each); the rest wait for the next post.</summary>
    internal const int LateChecksPerPost = 256;

    private IDatabase Db => redis.GetDatabase();

    public async Task<EventLook> AwaitAsync(JobRef job, string name, string? whenJson, long? timeoutMs)
    {
        // A job hears its own tenant's events only: the API qualifies a tenant's posts the same way (TenantIds).
        name = TenantIds.QualifyLike(job.JobId, name);
        var seen = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.EventAwait, [keys.Status(job)], [name]))!;
        if ((int)seen[0] == 1)
        {
            return new EventLook(new PostedEvent((string)seen[1]!), false, default);
        }

        // Every time here is Redis's (event_await.lua), so a process whose clock is off neither times out early nor late.
        var (created, started, now) = ((long)seen[1], (long)seen[2], (long)seen[3]);
        var recheck = (long)options.Value.EventRecheck.TotalMilliseconds;
        var timedOut = timeoutMs is { } t && now >= started + t;
        // A look again after at most EventRecheck, even without a timeout: a post that stored its event but died before
        // delivering it is then healed by the next look, which reads the events retained since the last one.
        var lookAgain = timeoutMs is { } ms ? Math.Min(started + ms, now + recheck) : now + recheck;
        // The waiter counts until its next look plus one interval of grace for a busy queue; a post drops it after that.
        var lifetime = timedOut ? -1 : lookAgain - now + recheck;
        var recent = (RedisValue[])(await Db.EvaluateAsync(
            LuaScripts.EventWait, [keys.EventWaiters(name), keys.EventRecent(name)], [job.Member, whenJson ?? "", created, lifetime]))!;
        foreach (var posted in recent)
        {
            using var doc = JsonDocument.Parse((string)posted!);
            if (Matches(whenJson, doc.RootElement.GetProperty("data")))
            {
                if (!timedOut)
                {
                    _ = Db.HashDeleteAsync(keys.EventWaiters(name), job.Member, CommandFlags.FireAndForget);
                }

                return new EventLook(new PostedEvent(posted!), false, default);
            }
        }

        return new EventLook(null, timedOut, DateTimeOffset.FromUnixTimeMilliseconds(lookAgain));
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
        var reply = (RedisResult[])(await Db.EvaluateAsync(
            LuaScripts.EventPost, [keys.EventWaiters(name), keys.EventRecent(name)],
            [posted, (long)options.Value.EventRetention.TotalMilliseconds, options.Value.EventRecentMax]))!;
        var (live, late) = ((RedisValue[])reply[0]!, (RedisValue[])reply[1]!);

        // The waiters whose condition holds, each delivered to by one script in its own slot (which also tells whether
        // the job still waits); all are sent at once, and the multiplexer pipelines them. Late waiters (their job has
        // not looked in time) whose condition does not hold are checked the same way, at most LateChecksPerPost per
        // post, and removed if their job no longer waits. One whose job still waits (a paused run's node, a controller
        // away) stays, and keeps the hash from expiring under it.
        using var data = JsonDocument.Parse(dataJson);
        var matched = new List<JobRef>();
        var unmatchedLate = new List<JobRef>();
        foreach (var (waiters, isLate) in new[] { (live, false), (late, true) })
        {
            for (var i = 0; i + 1 < waiters.Length; i += 2)
            {
                var when = (string)waiters[i + 1]!;
                if (Matches(when.Length == 0 ? null : when, data.RootElement))
                {
                    matched.Add(JobRef.Parse((string)waiters[i]!));
                }
                else if (isLate && unmatchedLate.Count < LateChecksPerPost)
                {
                    unmatchedLate.Add(JobRef.Parse((string)waiters[i]!));
                }
            }
        }

        var checks = unmatchedLate
            .Select(job => Db.EvaluateAsync(LuaScripts.EventDeliver, [keys.Status(job)], [name, ""]))
            .ToList();
        var (delivered, wake) = await WaitDelivery.DeliverAsync(Db, keys, queue, clock, routing, name, posted, matched);

        // Woken before forgotten: a crash in between leaves the waiter, and posting again wakes the job again. A crash
        // before the deliveries leaves the event retained, and the waiter's next look (within EventRecheck) finds it.
        var gone = new List<JobRef>();
        var stillWaiting = false;
        for (var i = 0; i < unmatchedLate.Count; i++)
        {
            if ((int)((RedisResult[])(await checks[i])!)[0] == 0)
            {
                gone.Add(unmatchedLate[i]);
            }
            else
            {
                stillWaiting = true;
            }
        }

        await queue.RequeueAsync(wake);
        if (matched.Count + gone.Count > 0)
        {
            await Db.HashDeleteAsync(keys.EventWaiters(name), [.. matched.Concat(gone).Select(j => (RedisValue)j.Member)]);
        }

        if (stillWaiting)
        {
            // Two intervals: no registration gives the hash longer (a waiter's lifetime is at most its next look, within
            // one interval, plus one), so this never shortens its TTL.
            await Db.KeyExpireAsync(keys.EventWaiters(name), 2 * options.Value.EventRecheck);
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
