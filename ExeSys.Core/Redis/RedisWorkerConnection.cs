using System.Collections.Concurrent;
using System.Globalization;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Queues;
using ExeSys.Core.Resilience;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IWorkerConnection"/> on Redis. A claim takes members off the queue slot under a lease, then starts each
/// job in its own slot (one script per job, pipelined), or on a single Redis does both in one script
/// (<see cref="RedisTopology.ClaimStarts"/>). Finishing records the outcome in the job's slot first, then acks in
/// the queue slot: a crash in between leaves a lease that the controller finds ended (job_release.lua).
/// </summary>
public sealed class RedisWorkerConnection(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    RedisQueueSlot slot,
    RedisTopology topology,
    RetentionPolicy retention,
    RedisClock clock,
    RedisLeaseRelease release,
    JobLanes lanes,
    ILogger<RedisWorkerConnection> logger,
    ExeSysMetrics? metrics = null) : IWorkerConnection
{
    /// <summary>The most leases one queue_renew.lua call extends.</summary>
    internal const int RenewChunk = 1000;

    // What recording retries: Redis away or slow, or full. RedisFaults counts an OOM refusal as transient: every
    // script that writes is refused whole then (ScriptAccess), so trying again is safe.
    private readonly ResiliencePipeline _recording = UntilBack.Create(
        logger, "worker", RedisFaults.IsTransient, TimeSpan.FromMilliseconds(100), "could not record an outcome ({Error}); retry {Attempt} in {Delay} while its lease holds.");

    private IDatabase Db => redis.GetDatabase();

    /// <summary>
    /// The limited lanes of the jobs this worker runs (<see cref="JobLanes"/>): their acks and renewals carry the lane,
    /// which frees or extends their limit slots. Only jobs this worker claimed from a limited lane are here.
    /// </summary>
    private readonly ConcurrentDictionary<JobRef, string> _lanes = new();

    /// <summary>
    /// The (worker, queue) pairs whose worker may be waiting for a handoff in its idle set, each with the mark of the
    /// last wait begun: a claim skips the ZREM of a wait that cannot exist, and clears only the wait it ended.
    /// </summary>
    private readonly ConcurrentDictionary<(string Worker, string Queue), long> _waiting = new();
    private long _waitMarks;

    /// <summary>When a limited lane one of this worker's claims parked at its limit may start again (Unix ms on Redis's clock), 0 for none.</summary>
    private long _lanesDueAt;

    /// <summary>A claimed member: a limited job's lane is remembered for its ack and renewals.</summary>
    private JobRef Claimed(string member)
    {
        var (job, lane) = JobLanes.Parse(member);
        if (lane is not null)
        {
            _lanes[job] = lane;
        }

        return job;
    }

    /// <summary>The claim's first value: when a lane it parked at a limit may start again ('' = none parked).</summary>
    private DateTimeOffset? LanesParkedUntil(RedisResult value)
    {
        if ((string?)value is not { Length: > 0 } text)
        {
            return null;
        }

        var at = long.Parse(text, CultureInfo.InvariantCulture);
        // Keep the earliest: the next claim after it puts the lane back.
        long seen;
        do
        {
            seen = Interlocked.Read(ref _lanesDueAt);
        }
        while ((seen == 0 || at < seen) && Interlocked.CompareExchange(ref _lanesDueAt, at, seen) != seen);
        return DateTimeOffset.FromUnixTimeMilliseconds(at);
    }

    public async Task<ClaimBatch> ClaimAsync(string workerId, WorkerOffer offer, string queue, int max, TimeSpan handoffWait = default)
    {
        var wait = (long)handoffWait.TotalMilliseconds;
        var q = keys.Queue(queue);
        // The first claim of this signature in this queue records it, so a pause reaches its idle set (queue_control.lua).
        var announce = !slot.SignatureRecorded(queue, offer.Signature);
        RedisKey[] claimKeys = announce
            ? [q.Lanes, q.Inflight, q.Idle(offer.Signature), q.IdleSignatures]
            : [q.Lanes, q.Inflight, q.Idle(offer.Signature)];
        // A single Redis: the claim also starts the jobs it takes (queue_claim.lua), one round trip per batch.
        var starts = topology.ClaimStarts;
        var now = clock.NowMs;
        // A limited lane this worker's claim parked has reached its time: this claim puts it back first (queue_claim.lua).
        var dueAt = Interlocked.Read(ref _lanesDueAt);
        var unpark = dueAt != 0 && now >= dueAt && Interlocked.CompareExchange(ref _lanesDueAt, 0, dueAt) == dueAt ? 1 : 0;
        // Whether this worker may still wait in its idle set, so a claim that takes jobs must end that wait (a ZREM
        // the claims of a busy worker skip). Marked before any call that may start a wait, so it is never missed.
        var waitKey = (workerId, queue);
        if (wait > 0)
        {
            MarkWaiting(waitKey);
        }

        var waiting = _waiting.TryGetValue(waitKey, out var waitMark);
        var args = new RedisValue[10 + offer.Functions.Count];
        (args[0], args[1], args[2], args[3], args[4]) = (max, slot.LeaseMs, workerId, wait, q.Base);
        (args[5], args[6]) = starts ? (keys.Prefix, now) : (RedisValue.EmptyString, 0);
        (args[7], args[8], args[9]) = (unpark, offer.Signature, waiting ? "1" : "0");
        for (var i = 0; i < offer.Functions.Count; i++)
        {
            args[10 + i] = offer.Functions[i];
        }

        // The reply starts with when a limited lane it parked may start again ('' = none), then the jobs.
        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.QueueClaim, claimKeys, args))!;
        if (announce)
        {
            slot.RecordSignature(queue, offer.Signature);
        }

        if (waiting && wait == 0 && reply.Length > 1)
        {
            // A busy claim that took jobs ended the wait (queue_claim.lua), unless another wait began since.
            _waiting.TryRemove(KeyValuePair.Create(waitKey, waitMark));
        }

        var parkedUntil = LanesParkedUntil(reply[0]);
        if (starts)
        {
            var refs = new JobRef[(reply.Length - 1) / 2];
            var replies = new RedisResult[refs.Length];
            for (var i = 0; i < refs.Length; i++)
            {
                refs[i] = Claimed((string)reply[1 + (2 * i)]!);
                replies[i] = reply[2 + (2 * i)];
            }

            return new ClaimBatch(await ReadStartsAsync(queue, refs, replies, now), QueueDrained: refs.Length < max, parkedUntil);
        }

        if (reply.Length == 1)
        {
            return new ClaimBatch([], QueueDrained: true, parkedUntil);
        }

        var claimed = await StartAsync(workerId, queue, [.. reply.Skip(1).Select(m => Claimed((string)m!))]);
        return new ClaimBatch(claimed, QueueDrained: reply.Length - 1 < max, parkedUntil);
    }

    public Task<IReadOnlyList<ClaimedJob>> StartHandedOffAsync(string workerId, string queue, JobRef job) => StartAsync(workerId, queue, [job]);

    public async Task WaitForHandoffAsync(string workerId, string queue, string signature, TimeSpan wait)
    {
        var waitKey = (workerId, queue);
        if (wait > TimeSpan.Zero)
        {
            MarkWaiting(waitKey);
            await slot.WaitForHandoffAsync(workerId, queue, signature, wait);
            return;
        }

        var waiting = _waiting.TryGetValue(waitKey, out var waitMark);
        await slot.WaitForHandoffAsync(workerId, queue, signature, wait);
        if (waiting)
        {
            _waiting.TryRemove(KeyValuePair.Create(waitKey, waitMark));
        }
    }

    /// <summary>A wait may begin: a new mark, so an end of an earlier wait seen meanwhile does not clear it.</summary>
    private void MarkWaiting((string Worker, string Queue) waitKey) => _waiting[waitKey] = Interlocked.Increment(ref _waitMarks);

    public async Task ReturnUnrunAsync(ClaimedJob job)
    {
        _lanes.TryRemove(job.Job, out _);
        await release.ReleaseAsync([(job.Job, job.Attempt.ToString(CultureInfo.InvariantCulture), job.Queue)], unrun: true);
    }

    /// <summary>Moves leased jobs to state 2 (job_start.lua), and drops the leases of those no longer waiting.</summary>
    private async Task<IReadOnlyList<ClaimedJob>> StartAsync(string workerId, string queue, JobRef[] refs)
    {
        // One script per job, all in flight at once: the multiplexer pipelines them into one round trip.
        var db = Db;
        var now = clock.NowMs;
        var starts = new Task<RedisResult>[refs.Length];
        for (var i = 0; i < refs.Length; i++)
        {
            starts[i] = db.EvaluateAsync(LuaScripts.JobStart, [keys.Status(refs[i]), keys.Workflow(refs[i].JobId)],
                [workerId, now, keys.Prefix, refs[i].JobId, refs[i].From]);
        }

        return await ReadStartsAsync(queue, refs, await Task.WhenAll(starts), now);
    }

    /// <summary>Reads job_start.lua's reply for each job, and drops the leases of those no longer waiting.</summary>
    private async Task<IReadOnlyList<ClaimedJob>> ReadStartsAsync(string queue, JobRef[] refs, RedisResult[] replies, long now)
    {
        var claimed = new List<ClaimedJob>(refs.Length);
        List<RedisValue>? forget = null;
        List<Requeue>? archive = null;
        for (var i = 0; i < refs.Length; i++)
        {
            var reply = (RedisResult[])replies[i]!;
            if (reply.Length == 2)
            {
                // Not waiting any more. If it has ended, is gone or is held, no claim needs its inflight entry; if
                // another worker runs it (state 2), that worker's lease is this very entry, so it stays.
                var st = (string?)reply[1];
                if (retention.Archives && JobHash.StateCodes.IsEnded(st))
                {
                    // Its claim overwrote the lease whose expiry would otherwise bring it to the archive backlog.
                    (archive ??= []).Add(new Requeue(RequeueAction.Archive, now, refs[i], queue, _lanes.TryRemove(refs[i], out var ended) ? JobLanes.QueueFunction("", ended) : ""));
                }
                else if (st != JobHash.StateCodes.Processing)
                {
                    if (_lanes.TryRemove(refs[i], out var lane))
                    {
                        // A limited job frees the limit slots its claim took, too.
                        (archive ??= []).Add(new Requeue(RequeueAction.Drop, now, refs[i], queue, JobLanes.QueueFunction("", lane)));
                    }
                    else
                    {
                        (forget ??= []).Add(refs[i].Member);
                    }
                }

                continue;
            }

            claimed.Add(new ClaimedJob(refs[i], (int)reply[0], (string)reply[1]!, (string)reply[2]!, (string)reply[3]!,
                (string)reply[4]!, (string?)reply[5] ?? "", RedisReplies.ParseInt(reply[6]), RedisReplies.ParseInt(reply[7]), RedisReplies.ParseLong(reply[8]), (string?)reply[9] == "1")
            {
                Queue = queue,
                StartedMs = now,
                CreatedMs = RedisReplies.ParseLong(reply[10]),
                ReadyMs = RedisReplies.ParseLong(reply[11]),
                MaxAttempts = Math.Max(1, RedisReplies.ParseInt(reply[12])),
                IsStep = (string?)reply[13] == "1",
                TraceParent = (string?)reply[14] ?? "",
            });
        }

        if (forget is not null)
        {
            await Db.SortedSetRemoveAsync(keys.Queue(queue).Inflight, [.. forget]);
        }

        if (archive is not null)
        {
            await slot.RequeueAsync(archive);
        }

        return claimed;
    }

    public Task<bool> CompleteAsync(ClaimedJob job, string resultJson, IReadOnlyList<string> takenEdges, CancellationToken untilLost = default) =>
        FinishAsync(job, JobState.DataAvailable, resultJson, string.Join(',', takenEdges), null, untilLost);

    public Task<bool> FailAsync(ClaimedJob job, string message, DateTimeOffset? retryAt, CancellationToken untilLost = default) =>
        FinishAsync(job, JobState.Error, message, "", retryAt, untilLost);

    public Task<bool> DeferAsync(ClaimedJob job, DateTimeOffset until, CancellationToken untilLost = default) =>
        FinishAsync(job, JobState.Standby, "", "", until, untilLost);

    /// <summary>
    /// A result is never dropped because Redis blinked or is full: recording retries a connection error, a timeout
    /// or an OOM refusal (maxmemory reached) with backoff, until it is recorded or refused as stale, or until
    /// <paramref name="untilLost"/> says the lease is lost (or the worker's grace is over). Every try is fenced by the
    /// attempt, so one whose reply was lost and that is sent again cannot record twice.
    /// </summary>
    private async Task<bool> FinishAsync(ClaimedJob job, JobState outcome, string payload, string taken, DateTimeOffset? retryAt, CancellationToken untilLost)
    {
        var attempt = job.Attempt.ToString(CultureInfo.InvariantCulture);
        var tries = 0;
        var reply = await _recording.ExecuteAsync(
            async _ =>
            {
                tries++;
                return await RedisJobFinish.EvaluateAsync(Db, keys, retention, job.Job, attempt, outcome, payload, clock.NowMs, taken, retryAt, metrics);
            },
            untilLost);

        // A limited job's ack frees its limit slots (a refused outcome: the claim that replaced this one holds them), and
        // its retry waits in its limited lane again: its function is then '~<lane>' (JobLanes.QueueFunction).
        var function = _lanes.TryRemove(job.Job, out var lane) ? JobLanes.QueueFunction(job.Cmd, lane) : job.Cmd;
        switch ((int)reply[0])
        {
            case 0 when tries > 1:
                logger.LogWarning("Refused the {Outcome} of {Job} attempt {Attempt} after {Tries} tries: an earlier try recorded it, or its lease had passed to another claim.", outcome.ToWireName(), job.Job, job.Attempt, tries);
                return false;
            case 0:
                logger.LogWarning("Refused the late {Outcome} of {Job} attempt {Attempt}: its lease had passed to another claim.", outcome.ToWireName(), job.Job, job.Attempt);
                return false;
            case 2:
                await AckAsync(() => slot.AckAsync(job.Job, job.Queue, function, DateTimeOffset.FromUnixTimeMilliseconds((long)reply[1]), []), untilLost);
                return true;
            default:
                await AckAsync(() => slot.AckAsync(job.Job, job.Queue, function, null, RedisReplies.Promoted(reply, 1, job.Job.JobId, lanes)), untilLost);
                return true;
        }
    }

    /// <summary>Drops the lease of a recorded job and enqueues what its outcome released, retrying as recording does.</summary>
    private async Task AckAsync(Func<Task> ack, CancellationToken untilLost)
    {
        try
        {
            await _recording.ExecuteAsync(async _ => await ack(), untilLost);
        }
        catch (OperationCanceledException) when (untilLost.IsCancellationRequested)
        {
            // The outcome is recorded. The lease this could not drop expires, and the controller's recovery finds the
            // job ended and enqueues what it released (job_release.lua).
        }
    }


    public async Task<bool> PublishProgressAsync(ClaimedJob job, string progressJson) =>
        (int)await Db.EvaluateAsync(LuaScripts.JobProgress, [keys.Status(job.Job)], [job.Attempt, progressJson, clock.NowMs]) == 1;

    public async Task<JobSignals> GetSignalsAsync(IReadOnlyCollection<JobRef> jobs)
    {
        var db = Db;
        var reads = jobs.Select(j => (Job: j, Flags: db.HashGetAsync(keys.Status(j), [JobHash.Stop, JobHash.Cancel]))).ToList();
        await Task.WhenAll(reads.Select(r => r.Flags));
        return new JobSignals(
            [.. reads.Where(r => !r.Flags.Result[0].IsNull).Select(r => r.Job)],
            [.. reads.Where(r => !r.Flags.Result[1].IsNull).Select(r => r.Job)]);
    }

    public async Task<IReadOnlyList<JobRef>> RenewLeasesAsync(IReadOnlyCollection<JobRef> jobs, string queue = QueueKeys.DefaultName)
    {
        if (jobs.Count == 0)
        {
            return [];
        }

        // In chunks, pipelined: one call's members must stay within what Lua's unpack passes to a command (about
        // 8,000 values; ZADD takes two per member), whatever Worker:Concurrency is.
        var db = Db;
        var calls = jobs.Chunk(RenewChunk).Select(chunk =>
        {
            var args = new RedisValue[chunk.Length + 1];
            args[0] = slot.LeaseMs;
            for (var i = 0; i < chunk.Length; i++)
            {
                // A limited job's lane member: its limit slots are extended with its lease.
                args[i + 1] = _lanes.TryGetValue(chunk[i], out var lane) ? JobLanes.Member(chunk[i], lane) : chunk[i].Member;
            }

            return db.EvaluateAsync(LuaScripts.QueueRenew, [keys.Queue(queue).Inflight], args);
        }).ToList();

        var lost = new List<JobRef>();
        foreach (var reply in await Task.WhenAll(calls))
        {
            lost.AddRange(((RedisResult[])reply!).Select(m => JobRef.Parse((string)m!)));
        }

        // A lost lease's slots were freed by whoever took the job back.
        foreach (var job in lost)
        {
            _lanes.TryRemove(job, out _);
        }

        return lost;
    }

    public Task ReleaseAsync(IReadOnlyCollection<ClaimedJob> jobs)
    {
        // job_release.lua reads each job's lane from its hash, and the requeue frees its slots.
        foreach (var job in jobs)
        {
            _lanes.TryRemove(job.Job, out _);
        }

        return release.ReleaseAsync(jobs.Select(j => (j.Job, j.Attempt.ToString(CultureInfo.InvariantCulture), j.Queue)).ToList());
    }
}
