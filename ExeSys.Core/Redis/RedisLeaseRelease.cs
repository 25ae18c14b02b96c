using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Queues;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Takes claims back: a worker's graceful release and the controller's recovery of expired leases share it. Each job
/// is one job_release.lua in its own slot (pipelined), then one queue_requeue.lua applies what they found. An expired
/// lease counts as a failed attempt; when it was the job's last, job_finish.lua ends the job in state 4, the way a
/// worker records a failure, so its workflow, its long-polls and the archive see the same end.
/// </summary>
public sealed class RedisLeaseRelease(IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, RetentionPolicy retention, RedisClock clock, JobLanes lanes, ExeSysMetrics? metrics = null)
{
    private IDatabase Db => redis.GetDatabase();

    /// <param name="jobs">Each job with the attempt that must still hold it, or "" for whichever claim holds it (an expired
    /// lease), and the queue whose inflight set holds its lease.</param>
    /// <param name="unrun">The worker never ran them (it does not offer their function): the attempt is given back.</param>
    /// <returns>The jobs that failed because their worker was lost at their last attempt, each with its error.</returns>
    public async Task<IReadOnlyList<(JobRef Job, string Error)>> ReleaseAsync(IReadOnlyList<(JobRef Job, string Attempt, string Queue)> jobs, bool unrun = false)
    {
        if (jobs.Count == 0)
        {
            return [];
        }

        var db = Db;
        var now = clock.NowMs;
        var replies = await Task.WhenAll(jobs.Select(j =>
            db.EvaluateAsync(LuaScripts.JobRelease, [keys.Status(j.Job), keys.Workflow(j.Job.JobId)],
                [j.Attempt, keys.Prefix, j.Job.JobId, j.Job.From, queue.LeaseMs, unrun ? "1" : ""])));

        var actions = new List<Requeue>();
        List<(JobRef Job, string Attempt, string Queue, string Error)>? lost = null;
        for (var i = 0; i < jobs.Count; i++)
        {
            var (job, _, leasedIn) = jobs[i];
            var reply = (RedisResult[])replies[i]!;
            switch ((string?)reply[0])
            {
                case "requeue":
                    if (reply.Length > 5 && (string?)reply[5] == "recovered")
                    {
                        metrics?.JobsRecovered(leasedIn, 1);
                    }

                    // Back onto its lane in the queue that held its lease (the script names its function).
                    // A limited job goes back into its limited lane ('ln', last), freeing its slots as it leaves inflight.
                    actions.Add(new Requeue(RequeueAction.Ready, queue.Score(now, RedisReplies.ParsePriority(reply[1])), job, leasedIn, lanes.FunctionOf((string)reply[2]!, leasedIn, (string?)reply[4])));
                    break;
                case "retry":
                    actions.Add(new Requeue(RequeueAction.Schedule, (long)reply[2], job, leasedIn, lanes.FunctionOf((string)reply[3]!, leasedIn, (string?)reply[5])));
                    break;
                case "lost":
                    (lost ??= []).Add((job, (string)reply[1]!, leasedIn, (string)reply[2]!));
                    break;
                case "drop":
                case "ended":
                    // An ended job whose ack was lost (the worker died after recording it): it still goes to the archive.
                    AddEnded(actions, job, leasedIn, (string?)reply[0] == "ended", reply, 1, now);
                    break;
            }
        }

        IReadOnlyList<(JobRef Job, string Error)> failed = lost is null ? [] : await FailLostAsync(db, lost, actions, now);
        await queue.RequeueAsync(actions);
        return failed;
    }

    /// <summary>
    /// Ends each job whose last attempt lost its worker, with job_finish.lua fenced by that attempt. A job it refuses
    /// (its worker recorded an outcome meanwhile) keeps its expired lease, and the next recovery looks at it again.
    /// </summary>
    private async Task<List<(JobRef Job, string Error)>> FailLostAsync(IDatabase db, List<(JobRef Job, string Attempt, string Queue, string Error)> lost, List<Requeue> actions, long now)
    {
        var replies = await Task.WhenAll(lost.Select(l =>
            RedisJobFinish.EvaluateAsync(db, keys, retention, l.Job, l.Attempt, JobState.Error, l.Error, now, "", null, metrics)));
        var failed = new List<(JobRef Job, string Error)>(lost.Count);
        for (var i = 0; i < lost.Count; i++)
        {
            if ((int)replies[i][0] == 1)
            {
                metrics?.JobsRecovered(lost[i].Queue, 1);
                AddEnded(actions, lost[i].Job, lost[i].Queue, ended: true, replies[i], 1, now);
                failed.Add((lost[i].Job, lost[i].Error));
            }
        }

        return failed;
    }

    /// <summary>Drops an ended job's lease (onto the archive backlog when history is on) and enqueues the successors its end promoted (name, priority pairs from <paramref name="from"/>).</summary>
    private void AddEnded(List<Requeue> actions, JobRef job, string leasedIn, bool ended, RedisResult[] reply, int from, long now)
    {
        actions.Add(new Requeue(ended && retention.Archives ? RequeueAction.Archive : RequeueAction.Drop, now, job, leasedIn));
        foreach (var next in RedisReplies.Promoted(reply, from, job.JobId, lanes))
        {
            actions.Add(new Requeue(RequeueAction.Enqueue, queue.Score(now, next.Priority), next.Job, next.Queue, next.Function));
        }
    }
}
