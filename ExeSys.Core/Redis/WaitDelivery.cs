using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The job side of waking a waiting job, shared by an event post (<see cref="RedisEventStore"/>) and a latch's release
/// to zero (<see cref="RedisLatchStore"/>): deliver in each job's own slot (event_deliver.lua), then the caller wakes the
/// reached ones in their queue, each onto its function's lane.
/// </summary>
internal static class WaitDelivery
{
    /// <summary>
    /// Delivers <paramref name="payload"/> under the wait name <paramref name="name"/> to each job, all in flight at once.
    /// Returns the jobs it reached, and the requeues that wake those of them that wait deferred (not those mid-look:
    /// their finish sees the delivery and makes the deferral due at once).
    /// </summary>
    public static async Task<(List<JobRef> Delivered, List<Requeue> Wake)> DeliverAsync(IDatabase db, RedisKeys keys, RedisQueueSlot queue,
        RedisClock clock, QueueRouting routing, string name, string payload, IReadOnlyList<JobRef> jobs)
    {
        var deliveries = jobs
            .Select(job => db.EvaluateAsync(LuaScripts.EventDeliver, [keys.Status(job)], [name, payload]))
            .ToList();
        var delivered = new List<JobRef>();
        var wake = new List<Requeue>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var outcome = (RedisResult[])(await deliveries[i])!;
            switch ((int)outcome[0])
            {
                case 1:
                    delivered.Add(jobs[i]);
                    // Woken in its queue, onto its function's lane (the delivery read both from the job).
                    wake.Add(Wake(queue, clock, routing, jobs[i], outcome));
                    break;
                case 2:
                    delivered.Add(jobs[i]);
                    break;
            }
        }

        return (delivered, wake);
    }

    /// <summary>
    /// The requeue that wakes a waiting job made due in its own slot, from that script's reply <c>{1, priority, cmd, q}</c>
    /// (event_deliver.lua, job_run_now.lua): out of its queue's schedule onto its function's lane.
    /// </summary>
    public static Requeue Wake(RedisQueueSlot queue, RedisClock clock, QueueRouting routing, JobRef job, RedisResult[] reply)
    {
        var cmd = (string)reply[2]!;
        return new Requeue(RequeueAction.Wake, queue.Score(clock.NowMs, RedisReplies.ParsePriority(reply[1])), job, routing.QueueOf(cmd, (string?)reply[3]), cmd);
    }
}
