using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The queue slot's scripts (ready, inflight, scheduled, idle workers), shared by the job, workflow and event stores:
/// enqueue, ack, wait for a handoff, requeue. The clock, the retention policy and whether a job's script may take these
/// keys as well are <see cref="RedisClock"/>, <see cref="RetentionPolicy"/> and <see cref="RedisTopology"/>.
/// </summary>
public sealed class RedisQueueSlot(
    IConnectionMultiplexer redis, RedisKeys keys, IOptions<JobOptions> options, RetentionPolicy retention, RedisClock clock)
{
    private readonly JobOptions _options = options.Value;

    /// <summary>The queue keys, plus the archive backlog when history is on (the scripts take it as an optional KEYS[4]).</summary>
    private RedisKey[] QueueKeys => retention.Archives ? [keys.Ready, keys.Inflight, keys.Scheduled, keys.ArchiveBacklog] : [keys.Ready, keys.Inflight, keys.Scheduled];

    /// <summary>How long a claim or a handoff leases a job, in ms.</summary>
    internal long LeaseMs => (long)_options.LeaseDuration.TotalMilliseconds;

    // Merged enqueues carry at most ScriptLimits.ValuesPerCall score/member values a call: the script spreads them into
    // ZADDs, and one call of concurrent 1,000-job batches once exceeded what Lua's unpack() takes, failing every caller.
    private readonly CallCoalescer<RedisValue[]> _enqueues = new(
        batch => SendEnqueuesAsync(redis, keys, (long)options.Value.LeaseDuration.TotalMilliseconds, batch),
        weight: pairs => pairs.Length, maxWeight: ScriptLimits.ValuesPerCall);

    private readonly CallCoalescer<RedisValue> _acks = new(members => SendAcksAsync(redis, keys, members));

    /// <summary>
    /// Enqueues jobs, and wakes idle workers when the queue was empty. The first job goes straight to a worker that
    /// waits for a handoff, if there is one (queue_enqueue.lua). Enqueues from concurrent callers share one
    /// script call (see <see cref="CallCoalescer{T}"/>); the task completes once these jobs are on the queue.
    /// More than <see cref="ScriptLimits.JobsPerCall"/> jobs (a large batch, a graph of many start nodes) go in several
    /// calls of that size; should one fail, the caller's error leaves the rest in state 0, where a re-send enqueues them.
    /// </summary>
    public Task EnqueueAsync(IReadOnlyList<(JobRef Job, JobPriority Priority)> jobs) =>
        EnqueueAsync(jobs.Count, i => (jobs[i].Job.Member, jobs[i].Priority));

    /// <summary>
    /// Enqueues jobs of which some may be limited: a job with a lane (<see cref="JobLanes"/>) joins its lane, where
    /// only a claim that checks its limits takes it (Scripts/_lanes.lua), and is never handed to an idle worker.
    /// </summary>
    public Task EnqueueAsync(IReadOnlyList<(JobRef Job, JobPriority Priority, string? Lane)> jobs) =>
        EnqueueAsync(jobs.Count, i => (JobLanes.Member(jobs[i].Job, jobs[i].Lane), jobs[i].Priority));

    private Task EnqueueAsync(int count, Func<int, (string Member, JobPriority Priority)> job)
    {
        if (count == 0)
        {
            return Task.CompletedTask;
        }

        var now = clock.NowMs;
        if (count <= ScriptLimits.JobsPerCall)
        {
            return _enqueues.AddAsync(Pairs(job, 0, count, now));
        }

        var calls = new List<Task>((count / ScriptLimits.JobsPerCall) + 1);
        for (var start = 0; start < count; start += ScriptLimits.JobsPerCall)
        {
            calls.Add(_enqueues.AddAsync(Pairs(job, start, Math.Min(ScriptLimits.JobsPerCall, count - start), now)));
        }

        return Task.WhenAll(calls);
    }

    /// <summary>Score/member pairs of jobs [start .. start + count).</summary>
    private RedisValue[] Pairs(Func<int, (string Member, JobPriority Priority)> job, int start, int count, long now)
    {
        var pairs = new RedisValue[count * 2];
        for (var i = 0; i < count; i++)
        {
            var (member, priority) = job(start + i);
            pairs[i * 2] = Score(now, priority);
            pairs[(i * 2) + 1] = member;
        }

        return pairs;
    }

    private static Task<RedisResult> SendEnqueuesAsync(IConnectionMultiplexer redis, RedisKeys keys, long leaseMs, IReadOnlyList<RedisValue[]> batch)
    {
        var args = new List<RedisValue>(2 + batch.Sum(b => b.Length)) { keys.WakeChannelName, leaseMs };
        foreach (var pairs in batch)
        {
            args.AddRange(pairs);
        }

        return redis.GetDatabase().EvaluateAsync(LuaScripts.QueueEnqueue, keys.Handoff, [.. args]);
    }

    /// <summary>
    /// Drops a recorded job's lease and enqueues what its outcome released (promoted workflow jobs, or itself for a
    /// retry). When nothing was released the call is fire-and-forget: a lost ack only leaves a lease for the
    /// controller to find ended and drop.
    /// </summary>
    /// <param name="lane">A limited job's lane (<see cref="JobLanes"/>): its ack always runs the script, which frees its
    /// limit slots and lets the lanes waiting behind them start; a retry waits in its lane again.</param>
    public async Task AckAsync(JobRef job, DateTimeOffset? retryAt, IReadOnlyList<(JobRef Job, JobPriority Priority)> promoted, string? lane = null)
    {
        var args = new List<RedisValue>(3 + (promoted.Count * 2))
        {
            keys.WakeChannelName,
            JobLanes.Member(job, lane),
            retryAt is { } at ? at.ToUnixTimeMilliseconds() : RedisValue.EmptyString,
        };
        var now = clock.NowMs;
        foreach (var (next, priority) in promoted)
        {
            args.Add(Score(now, priority));
            args.Add(next.Member);
        }

        var db = redis.GetDatabase();
        if (retryAt is null && promoted.Count == 0 && lane is null)
        {
            if (retention.Archives)
            {
                _ = db.EvaluateAsync(LuaScripts.QueueAck, QueueKeys, [.. args], CommandFlags.FireAndForget);
            }
            else
            {
                // Without history this stays a bare ZREM, shared by the acks of concurrent jobs: the per-job Redis
                // cost does not grow when MongoDB is off.
                _ = _acks.AddAsync(job.Member);
            }

            return;
        }

        await db.EvaluateAsync(LuaScripts.QueueAck, QueueKeys, [.. args]);
    }

    private static async Task SendAcksAsync(IConnectionMultiplexer redis, RedisKeys keys, IReadOnlyList<RedisValue> members)
    {
        try
        {
            await redis.GetDatabase().SortedSetRemoveAsync(keys.Inflight, [.. members]);
        }
        catch (Exception)
        {
            // Fire-and-forget, as before: a lost ack only leaves leases for the controller to find ended and drop.
        }
    }

    /// <summary>
    /// An idle worker waits for a handoff for <paramref name="wait"/> (renewed by its next empty claim), or with
    /// <see cref="TimeSpan.Zero"/> stops waiting.
    /// </summary>
    public Task WaitForHandoffAsync(string workerId, TimeSpan wait) =>
        redis.GetDatabase().EvaluateAsync(LuaScripts.QueueIdle, [keys.Idle], [workerId, (long)wait.TotalMilliseconds]);

    /// <summary>
    /// Applies a batch of requeue actions in one script (queue_requeue.lua): 'r' ready, 's' schedule, 'd' drop, 'a' drop
    /// to the archive backlog, 'e' enqueue only, 'w' wake a scheduled job (see <see cref="RequeueAction"/>).
    /// </summary>
    public Task RequeueAsync(IReadOnlyList<Requeue> actions)
    {
        if (actions.Count == 0)
        {
            return Task.CompletedTask;
        }

        var args = new RedisValue[1 + (actions.Count * 3)];
        args[0] = keys.WakeChannelName;
        for (var i = 0; i < actions.Count; i++)
        {
            args[1 + (i * 3)] = actions[i].Code;
            args[2 + (i * 3)] = actions[i].Score;
            args[3 + (i * 3)] = actions[i].Member;
        }

        return redis.GetDatabase().EvaluateAsync(LuaScripts.QueueRequeue, QueueKeys, args);
    }

    /// <summary>Queue order: enqueue time, moved ahead (high) or back (low) by <see cref="JobOptions.PriorityAging"/>.</summary>
    public long Score(long nowMs, JobPriority priority) => priority switch
    {
        JobPriority.High => nowMs - (long)_options.PriorityAging.TotalMilliseconds,
        JobPriority.Low => nowMs + (long)_options.PriorityAging.TotalMilliseconds,
        _ => nowMs,
    };
}
