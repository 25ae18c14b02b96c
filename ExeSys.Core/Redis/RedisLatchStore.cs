using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Latches;
using ExeSys.Core.Queues;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Latches in Redis. Per latch name, one slot holds its holders and its waiters (<see cref="RedisKeys.LatchHolders"/>,
/// <see cref="RedisKeys.LatchWaiters"/>), so a countdown's registration and a release are atomic there and no zero slips
/// between them. A release that reaches zero then tells each waiter in the job's own slot and wakes it in the queue
/// slot, as an event post does: a waiting job's side of it is the one <c>wait_event</c> uses (event_await.lua,
/// event_deliver.lua and the fields <c>evw</c>/<c>evd</c>), under the name <c>latch:&lt;name&gt;</c>, which no event
/// name can take (an event name has no ':'). So a zero that comes while the job runs its look makes its deferral due
/// at once (job_finish.lua), exactly as an event does.
/// </summary>
public sealed class RedisLatchStore(IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, IOptions<JobOptions> options, RedisClock clock, QueueRouting routing) : ILatchStore
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<LatchAcquired> AcquireAsync(string name, string holder, TimeSpan hold)
    {
        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.LatchAcquire, [keys.LatchHolders(name)], [holder, (long)hold.TotalMilliseconds]))!;
        return new LatchAcquired((long)reply[0], (int)reply[1] == 1);
    }

    public async Task<LatchReleased> ReleaseAsync(string name, string holder)
    {
        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.LatchRelease, [keys.LatchHolders(name), keys.LatchWaiters(name)], [holder]))!;
        var (count, removed) = ((long)reply[0], (int)reply[1] == 1);
        if (reply.Length < 3)
        {
            return new LatchReleased(count, removed, []);
        }

        var waiters = ((RedisValue[])reply[2]!).Select(w => JobRef.Parse(w!)).ToList();
        var zero = AtZero(name);
        var (woken, wake) = await WaitDelivery.DeliverAsync(Db, keys, queue, clock, routing, WaitName(name), zero, waiters);

        // Woken before forgotten: a crash in between leaves the waiters, which the next release at zero wakes again,
        // and which find the zero on their own next look (within LatchRecheck) anyway.
        await queue.RequeueAsync(wake);
        if (waiters.Count > 0)
        {
            await Db.SortedSetRemoveAsync(keys.LatchWaiters(name), [.. waiters.Select(j => (RedisValue)j.Member)]);
        }

        return new LatchReleased(count, removed, woken);
    }

    public async Task<LatchLook> CountdownAsync(JobRef job, string name)
    {
        var seen = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.EventAwait, [keys.Status(job)], [WaitName(name)]))!;
        if ((int)seen[0] == 1)
        {
            return new LatchLook(true, 0, default);
        }

        var now = (long)seen[3];
        var recheck = (long)options.Value.LatchRecheck.TotalMilliseconds;
        // The waiter counts until its next look plus one interval of grace for a busy queue; it is dropped after that.
        var count = (long)await Db.EvaluateAsync(LuaScripts.LatchWait, [keys.LatchHolders(name), keys.LatchWaiters(name)], [job.Member, 2 * recheck]);
        return count == 0
            ? new LatchLook(true, 0, default)
            : new LatchLook(false, count, DateTimeOffset.FromUnixTimeMilliseconds(now + recheck));
    }

    public async Task<string?> RunDataAsync(string jobId)
    {
        // The run's hash keeps its data as data_available text, {"to": ..., "result": <data>} (workflow_submit.lua).
        var stored = await Db.HashGetAsync(keys.Workflow(jobId), "start_data");
        if (stored.IsNull)
        {
            return null;
        }

        using var doc = JsonDocument.Parse((string)stored!);
        return doc.RootElement.TryGetProperty("result", out var data) ? data.GetRawText() : null;
    }

    /// <summary>What a waiting job's <c>evw</c> holds while it waits for this latch; no event name has a ':'.</summary>
    private static string WaitName(string name) => "latch:" + name;

    private static string AtZero(string name) => new JsonObject { ["latch"] = name, ["count"] = 0 }.ToJsonString();
}
