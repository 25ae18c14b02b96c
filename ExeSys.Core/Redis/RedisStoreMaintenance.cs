using System.Globalization;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Queues;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IStoreMaintenance"/> on Redis, for every known queue (<see cref="RedisQueueSlot.KnownQueuesAsync"/>):
/// expired leases go back through job_release.lua (each one a failed attempt, the last of which fails the job), due
/// retries through queue_due.lua, and jobs that waited too long in a lane no live worker serves end in state 4.
/// </summary>
public sealed class RedisStoreMaintenance(
    IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, RedisLeaseRelease release, RetentionPolicy retention,
    RedisClock clock, QueueRouting routing, JobLanes lanes, OfferDirectory offers, ILogger<RedisStoreMaintenance> logger, ExeSysMetrics? metrics = null) : IStoreMaintenance
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>The worker id an unserved job's one attempt is recorded under.</summary>
    internal const string UnservedWorker = "controller (no worker offers the function)";

    public async Task<int> RecoverExpiredLeasesAsync(int max)
    {
        var total = 0;
        foreach (var name in await queue.KnownQueuesAsync())
        {
            var expired = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.QueueExpired, [keys.Queue(name).Inflight], [max]))!;
            if (expired.Length == 0)
            {
                continue;
            }

            var jobs = expired.Select(m => (JobRef.Parse((string)m!), string.Empty, name)).ToList();
            var failed = await release.ReleaseAsync(jobs);
            logger.LogWarning("Took back {Count} job(s) of queue {Queue} whose lease expired: {Jobs}", jobs.Count, name, string.Join(", ", jobs.Select(j => j.Item1)));
            foreach (var (job, error) in failed)
            {
                // A poison pill: its function keeps killing (or freezing) the workers that run it.
                logger.LogError("Failed {Job}: {Error}.", job, error);
            }

            total += jobs.Count;
        }

        return total;
    }

    public async Task<int> PromoteDueRetriesAsync(int max)
    {
        var total = 0;
        foreach (var name in await queue.KnownQueuesAsync())
        {
            var q = keys.Queue(name);
            total += (int)await Db.EvaluateAsync(LuaScripts.QueueDue, [q.Scheduled, q.ScheduledFunctions, q.Lanes], [q.WakeChannelName, max, q.Base]);
        }

        return total;
    }

    /// <summary>
    /// Ends the jobs that waited longer than their function's unserved timeout (<see cref="QueueOptions.UnservedTimeout"/>)
    /// in a lane that no live worker of the queue serves. It reads each queue's lane index (the non-empty lanes and
    /// their head scores) and the registry, and looks only at lanes nobody serves whose head is old enough: no job is
    /// scanned. Each such job is leased (queue_unserved.lua), started and failed as an attempt of its own, so its
    /// workflow, long-polls and the archive see the end any failed job has.
    /// </summary>
    public async Task<int> FailUnservedAsync(int max)
    {
        if (!routing.HasUnservedTimeouts)
        {
            // Waiting for ever is the default: then the controller does not even look.
            return 0;
        }

        var workers = await offers.WorkersAsync();
        var now = clock.NowMs;
        var total = 0;
        foreach (var name in await queue.KnownQueuesAsync())
        {
            var q = keys.Queue(name);
            var served = workers.Where(w => (w.Queues ?? [QueueKeys.DefaultName]).Contains(name, StringComparer.Ordinal))
                .SelectMany(w => w.Functions).ToHashSet(StringComparer.Ordinal);
            foreach (var lane in await Db.SortedSetRangeByRankWithScoresAsync(q.Lanes))
            {
                var fn = (string)lane.Element!;
                if (fn == QueueKeys.PausedMarker || served.Contains(fn) || routing.UnservedTimeoutOf(fn) is not { } wait || lane.Score > now - wait.TotalMilliseconds)
                {
                    continue;
                }

                total += await FailLaneAsync(q, fn, wait, now, max);
            }
        }

        return total;
    }

    private async Task<int> FailLaneAsync(QueueKeys q, string fn, TimeSpan wait, long now, int max)
    {
        var db = Db;
        var taken = (RedisResult[])(await db.EvaluateAsync(LuaScripts.QueueUnserved, [q.Lanes, q.Inflight],
            [q.Base, fn, now - (long)wait.TotalMilliseconds, max, queue.LeaseMs]))!;
        var error = $"No live worker offers function '{fn}' (waited {Describe(wait)} in queue '{q.Name}')";
        foreach (var job in taken.Select(m => JobRef.Parse((string)m!)))
        {
            var start = (RedisResult[])(await db.EvaluateAsync(LuaScripts.JobStart, [keys.Status(job), keys.Workflow(job.JobId)],
                [UnservedWorker, clock.NowMs, keys.Prefix, job.JobId, job.From]))!;
            if (start.Length == 2)
            {
                // No longer waiting (ended, held or cancelled meanwhile): its lease entry goes.
                await queue.RequeueAsync([new Requeue(RequeueAction.Drop, 0, job, q.Name)]);
                continue;
            }

            var attempt = ((long)start[0]).ToString(CultureInfo.InvariantCulture);
            var finished = await RedisJobFinish.EvaluateAsync(db, keys, retention, job, attempt, JobState.Error, error, clock.NowMs, "", null, metrics);
            if ((int)finished[0] == 1)
            {
                await queue.AckAsync(job, q.Name, fn, null, RedisReplies.Promoted(finished, 1, job.JobId, lanes));
                logger.LogWarning("Failed {Job}: {Error}.", job, error);
            }
        }

        return taken.Length;
    }

    /// <summary>A wait as people write it: 10m, 90s, 1500ms.</summary>
    internal static string Describe(TimeSpan wait) =>
        wait.TotalMilliseconds % 60_000 == 0 ? $"{(long)wait.TotalMinutes}m"
        : wait.TotalMilliseconds % 1000 == 0 ? $"{(long)wait.TotalSeconds}s"
        : $"{(long)wait.TotalMilliseconds}ms";
}
