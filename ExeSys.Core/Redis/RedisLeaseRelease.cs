using ExeSys.Core.Jobs;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Takes claims back: a worker's graceful release and the controller's recovery of expired leases share it. Each job
/// is one job_release.lua in its own slot (pipelined), then one queue_requeue.lua applies what they found.
/// </summary>
public sealed class RedisLeaseRelease(IConnectionMultiplexer redis, RedisKeys keys, RedisQueueSlot queue, RetentionPolicy retention, RedisClock clock)
{
    private IDatabase Db => redis.GetDatabase();

    /// <param name="jobs">Each job with the attempt that must still hold it, or "" for whichever claim holds it.</param>
    public async Task ReleaseAsync(IReadOnlyList<(JobRef Job, string Attempt)> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var db = Db;
        var now = clock.NowMs;
        var replies = await Task.WhenAll(jobs.Select(j =>
            db.EvaluateAsync(LuaScripts.JobRelease, [keys.Status(j.Job), keys.Workflow(j.Job.JobId)],
                [j.Attempt, now, keys.Prefix, j.Job.JobId, j.Job.From])));

        var actions = new List<Requeue>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i].Job;
            var reply = (RedisResult[])replies[i]!;
            switch ((string?)reply[0])
            {
                case "requeue":
                    actions.Add(new Requeue(RequeueAction.Ready, queue.Score(now, RedisReplies.ParsePriority(reply[1])), job));
                    break;
                case "retry":
                    actions.Add(new Requeue(RequeueAction.Schedule, (long)reply[2], job));
                    break;
                case "drop":
                case "ended":
                    // An ended job whose ack was lost (the worker died after recording it): it still goes to the archive.
                    actions.Add(new Requeue((string?)reply[0] == "ended" && retention.Archives ? RequeueAction.Archive : RequeueAction.Drop, now, job));
                    for (var s = 1; s + 1 < reply.Length; s += 2)
                    {
                        actions.Add(new Requeue(RequeueAction.Enqueue, queue.Score(now, RedisReplies.ParsePriority(reply[s + 1])), new JobRef((string)reply[s]!, job.JobId)));
                    }

                    break;
            }
        }

        await queue.RequeueAsync(actions);
    }
}
