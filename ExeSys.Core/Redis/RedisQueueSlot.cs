using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>The queue slot's scripts (ready, inflight, scheduled), shared by the job and workflow stores.</summary>
public sealed class RedisQueueSlot(IConnectionMultiplexer redis, RedisKeys keys, IOptions<JobOptions> options, TimeProvider time)
{
    private readonly JobOptions _options = options.Value;

    internal long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task EnqueueAsync(IReadOnlyList<(JobRef Job, JobPriority Priority)> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var now = NowMs;
        var args = new RedisValue[1 + (jobs.Count * 2)];
        args[0] = keys.WakeChannelName;
        for (var i = 0; i < jobs.Count; i++)
        {
            args[1 + (i * 2)] = Score(now, jobs[i].Priority);
            args[2 + (i * 2)] = jobs[i].Job.Member;
        }

        await redis.GetDatabase().ScriptEvaluateAsync(LuaScripts.QueueEnqueue, [keys.Ready], args);
    }

    /// <summary>
    /// Drops a recorded job's lease and enqueues what its outcome released (promoted workflow jobs, or itself for a
    /// retry). When nothing was released the call is fire-and-forget: a lost ack only leaves a lease for the
    /// controller to find ended and drop.
    /// </summary>
    public async Task AckAsync(JobRef job, DateTimeOffset? retryAt, IReadOnlyList<(JobRef Job, JobPriority Priority)> promoted)
    {
        var args = new List<RedisValue>(3 + (promoted.Count * 2))
        {
            keys.WakeChannelName,
            job.Member,
            retryAt is { } at ? at.ToUnixTimeMilliseconds() : RedisValue.EmptyString,
        };
        var now = NowMs;
        foreach (var (next, priority) in promoted)
        {
            args.Add(Score(now, priority));
            args.Add(next.Member);
        }

        var db = redis.GetDatabase();
        if (retryAt is null && promoted.Count == 0)
        {
            _ = db.SortedSetRemoveAsync(keys.Inflight, job.Member, CommandFlags.FireAndForget);
            return;
        }

        await db.ScriptEvaluateAsync(LuaScripts.QueueAck, [keys.Ready, keys.Inflight, keys.Scheduled], [.. args]);
    }

    /// <summary>Applies a batch of requeue actions ('r' ready, 's' schedule, 'd' drop, 'e' enqueue only) in one script.</summary>
    public Task RequeueAsync(IReadOnlyList<(char Action, long Score, JobRef Job)> actions)
    {
        if (actions.Count == 0)
        {
            return Task.CompletedTask;
        }

        var args = new RedisValue[1 + (actions.Count * 3)];
        args[0] = keys.WakeChannelName;
        for (var i = 0; i < actions.Count; i++)
        {
            args[1 + (i * 3)] = actions[i].Action.ToString();
            args[2 + (i * 3)] = actions[i].Score;
            args[3 + (i * 3)] = actions[i].Job.Member;
        }

        return redis.GetDatabase().ScriptEvaluateAsync(LuaScripts.QueueRequeue, [keys.Ready, keys.Inflight, keys.Scheduled], args);
    }

    /// <summary>Queue order: enqueue time, moved ahead (high) or back (low) by <see cref="JobOptions.PriorityAging"/>.</summary>
    public long Score(long nowMs, JobPriority priority) => priority switch
    {
        JobPriority.High => nowMs - (long)_options.PriorityAging.TotalMilliseconds,
        JobPriority.Low => nowMs + (long)_options.PriorityAging.TotalMilliseconds,
        _ => nowMs,
    };
}
