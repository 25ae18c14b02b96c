using System.Collections.Concurrent;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The queue slots' scripts (lanes, inflight, scheduled, idle workers), shared by the job, workflow and event stores:
/// enqueue, ack, wait for a handoff, requeue. Each queue is its own slot (<see cref="QueueKeys"/>); a call that spans
/// queues is one script per queue. The clock, the retention policy and whether a job's script may take these keys as
/// well are <see cref="RedisClock"/>, <see cref="RetentionPolicy"/> and <see cref="RedisTopology"/>.
/// </summary>
public sealed class RedisQueueSlot(
    IConnectionMultiplexer redis, RedisKeys keys, IOptions<JobOptions> options, RetentionPolicy retention, RedisClock clock, OfferDirectory offers, QueueRouting routing)
{
    private readonly JobOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, CallCoalescer<Enqueue>> _enqueues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Queue, string Signature), byte> _recordedSignatures = new();
    private readonly ConcurrentDictionary<string, CallCoalescer<RedisValue>> _acks = new(StringComparer.Ordinal);

    /// <summary>The keys queue_ack.lua and queue_requeue.lua take, plus the archive backlog when history is on (an optional KEYS[5]).</summary>
    private RedisKey[] SettleKeys(QueueKeys q) => retention.Archives
        ? [q.Lanes, q.Inflight, q.Scheduled, q.ScheduledFunctions, q.ArchiveBacklog]
        : [q.Lanes, q.Inflight, q.Scheduled, q.ScheduledFunctions];

    /// <summary>How long a claim or a handoff leases a job, in ms.</summary>
    internal long LeaseMs => (long)_options.LeaseDuration.TotalMilliseconds;

    /// <summary>The idle sets of a queue whose workers offer a function (from the cached registry view).</summary>
    internal ValueTask<RedisKey[]> IdleSetsAsync(string queue, string function) => offers.IdleSetsAsync(queue, function);

    /// <summary>One caller's enqueue: score/member/function triples, and the idle sets that may take its first job.</summary>
    private readonly record struct Enqueue(RedisValue[] Triples, RedisKey[] IdleSets);

    /// <summary>
    /// Enqueues jobs onto their function's lane in their queue, and wakes idle workers of a lane that was empty. The
    /// first job of each call goes straight to an idle worker that offers its function, if one waits
    /// (queue_enqueue.lua). Enqueues from concurrent callers into one queue share one script call (see
    /// <see cref="CallCoalescer{T}"/>); the task completes once these jobs are on their lanes.
    /// More than <see cref="ScriptLimits.JobsPerCall"/> jobs (a large batch, a graph of many start nodes) go in several
    /// calls of that size; should one fail, the caller's error leaves the rest in state 0, where a re-send enqueues them.
    /// </summary>
    public async Task EnqueueAsync(IReadOnlyList<QueuedJob> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var now = clock.NowMs;
        var calls = new List<Task>();
        foreach (var group in jobs.GroupBy(j => j.Queue, StringComparer.Ordinal))
        {
            var list = group.ToList();
            var coalescer = _enqueues.GetOrAdd(group.Key, q => new CallCoalescer<Enqueue>(
                batch => SendEnqueuesAsync(keys.Queue(q), batch),
                weight: e => e.Triples.Length, maxWeight: ScriptLimits.ValuesPerCall / 2 * 3));
            for (var start = 0; start < list.Count; start += ScriptLimits.JobsPerCall)
            {
                var count = Math.Min(ScriptLimits.JobsPerCall, list.Count - start);
                var idle = await IdleSetsAsync(group.Key, list[start].Function);
                calls.Add(coalescer.AddAsync(new Enqueue(Triples(list, start, count, now), idle)));
            }
        }

        await Task.WhenAll(calls);
    }

    /// <summary>Score/member/function triples of jobs[start .. start + count).</summary>
    private RedisValue[] Triples(List<QueuedJob> jobs, int start, int count, long now)
    {
        var triples = new RedisValue[count * 3];
        for (var i = 0; i < count; i++)
        {
            var job = jobs[start + i];
            triples[i * 3] = Score(now, job.Priority);
            triples[(i * 3) + 1] = job.Job.Member;
            triples[(i * 3) + 2] = job.Function;
        }

        return triples;
    }

    private Task<RedisResult> SendEnqueuesAsync(QueueKeys q, IReadOnlyList<Enqueue> batch)
    {
        var args = new List<RedisValue>(3 + batch.Sum(b => b.Triples.Length)) { q.WakeChannelName, LeaseMs, q.Base };
        foreach (var enqueue in batch)
        {
            args.AddRange(enqueue.Triples);
        }

        // The batch's first job is the first caller's: its idle sets are the ones that may take it.
        return redis.GetDatabase().EvaluateAsync(LuaScripts.QueueEnqueue, [q.Lanes, q.Inflight, .. batch[0].IdleSets], [.. args]);
    }

    /// <summary>
    /// Drops a recorded job's lease and enqueues what its outcome released (promoted workflow jobs, or itself for a
    /// retry). Promoted jobs of another queue are enqueued there, after the ack. When nothing was released the call is
    /// fire-and-forget: a lost ack only leaves a lease for the controller to find ended and drop.
    /// </summary>
    public async Task AckAsync(JobRef job, string queue, string function, DateTimeOffset? retryAt, IReadOnlyList<QueuedJob> promoted)
    {
        var q = keys.Queue(queue);
        var here = promoted.Where(p => p.Queue == queue).ToList();
        var args = new List<RedisValue>(5 + (here.Count * 3))
        {
            q.WakeChannelName,
            job.Member,
            retryAt is { } at ? at.ToUnixTimeMilliseconds() : RedisValue.EmptyString,
            function,
            q.Base,
        };
        var now = clock.NowMs;
        foreach (var next in here)
        {
            args.Add(Score(now, next.Priority));
            args.Add(next.Job.Member);
            args.Add(next.Function);
        }

        var db = redis.GetDatabase();
        // A limited job's ack (its function '~<lane>') always runs the script, which frees its limit slots.
        if (retryAt is null && promoted.Count == 0 && !function.StartsWith('~'))
        {
            if (retention.Archives)
            {
                _ = db.EvaluateAsync(LuaScripts.QueueAck, SettleKeys(q), [.. args], CommandFlags.FireAndForget);
            }
            else
            {
                // Without history this stays a bare ZREM, shared by the acks of concurrent jobs: the per-job Redis
                // cost does not grow when MongoDB is off.
                _ = _acks.GetOrAdd(queue, name => new CallCoalescer<RedisValue>(members => SendAcksAsync(redis, keys.Queue(name), members))).AddAsync(job.Member);
            }

            return;
        }

        await db.EvaluateAsync(LuaScripts.QueueAck, SettleKeys(q), [.. args]);
        if (here.Count < promoted.Count)
        {
            await EnqueueAsync([.. promoted.Where(p => p.Queue != queue)]);
        }
    }

    private static async Task SendAcksAsync(IConnectionMultiplexer redis, QueueKeys q, IReadOnlyList<RedisValue> members)
    {
        try
        {
            await redis.GetDatabase().SortedSetRemoveAsync(q.Inflight, [.. members]);
        }
        catch (Exception)
        {
            // Fire-and-forget, as before: a lost ack only leaves leases for the controller to find ended and drop.
        }
    }

    /// <summary>
    /// An idle worker waits for a handoff in <paramref name="queue"/> for <paramref name="wait"/> (renewed by its next
    /// empty claim), in the idle set of its offer signature, or with <see cref="TimeSpan.Zero"/> stops waiting.
    /// </summary>
    public Task WaitForHandoffAsync(string workerId, string queue, string signature, TimeSpan wait) =>
        WaitForHandoffAsync(keys.Queue(queue), workerId, signature, wait);

    private async Task WaitForHandoffAsync(QueueKeys q, string workerId, string signature, TimeSpan wait)
    {
        var announce = wait > TimeSpan.Zero && !SignatureRecorded(q.Name, signature);
        RedisKey[] idleKeys = announce ? [q.Idle(signature), q.Lanes, q.IdleSignatures] : [q.Idle(signature)];
        await redis.GetDatabase().EvaluateAsync(LuaScripts.QueueIdle, idleKeys, [workerId, (long)wait.TotalMilliseconds, signature]);
        if (announce)
        {
            RecordSignature(q.Name, signature);
        }
    }

    /// <summary>
    /// Whether this process has recorded the offer signature in the queue's idle signatures (the first claim or idle
    /// wait of a signature does, so a pause reaches its idle set: queue_control.lua); later ones skip that cost.
    /// </summary>
    internal bool SignatureRecorded(string queue, string signature) => _recordedSignatures.ContainsKey((queue, signature));

    internal void RecordSignature(string queue, string signature) => _recordedSignatures.TryAdd((queue, signature), 0);

    /// <summary>
    /// Applies a batch of requeue actions, one script per queue (queue_requeue.lua): 'r' ready, 's' schedule, 'd' drop,
    /// 'a' drop to the archive backlog, 'e' enqueue only, 'w' wake a scheduled job (see <see cref="RequeueAction"/>).
    /// </summary>
    public Task RequeueAsync(IReadOnlyList<Requeue> actions)
    {
        if (actions.Count == 0)
        {
            return Task.CompletedTask;
        }

        var db = redis.GetDatabase();
        return Task.WhenAll(actions.GroupBy(a => a.Queue, StringComparer.Ordinal).Select(group =>
        {
            var q = keys.Queue(group.Key);
            var args = new List<RedisValue>(2 + (group.Count() * 4)) { q.WakeChannelName, q.Base };
            foreach (var action in group)
            {
                args.Add(action.Code);
                args.Add(action.Score);
                args.Add(action.Job.Member);
                args.Add(action.Function);
            }

            return db.EvaluateAsync(LuaScripts.QueueRequeue, SettleKeys(q), [.. args]);
        }));
    }

    /// <summary>
    /// Every queue to look after: the configured ones (<see cref="QueueRouting.Configured"/>) and those workers have
    /// advertised (<see cref="RedisKeys.KnownQueues"/>), so a queue whose workers have gone still has its leases,
    /// retries and unserved jobs handled.
    /// </summary>
    public async Task<IReadOnlyList<string>> KnownQueuesAsync()
    {
        var advertised = await redis.GetDatabase().SetMembersAsync(keys.KnownQueues);
        return [.. routing.Configured.Concat(advertised.Select(v => (string)v!).Where(QueueRouting.IsValidName).Order(StringComparer.Ordinal)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Queue order: enqueue time, moved ahead (high) or back (low) by <see cref="JobOptions.PriorityAging"/>.</summary>
    public long Score(long nowMs, JobPriority priority) => priority switch
    {
        JobPriority.High => nowMs - (long)_options.PriorityAging.TotalMilliseconds,
        JobPriority.Low => nowMs + (long)_options.PriorityAging.TotalMilliseconds,
        _ => nowMs,
    };
}
