using System.Globalization;
using ExeSys.Core.Jobs;
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
    QueueRouting routing,
    ILogger<RedisWorkerConnection> logger) : IWorkerConnection
{
    /// <summary>The most leases one queue_renew.lua call extends.</summary>
    internal const int RenewChunk = 1000;

    // What recording retries: Redis away or slow, or full. RedisFaults counts an OOM refusal as transient: every
    // script that writes is refused whole then (ScriptAccess), so trying again is safe.
    private readonly ResiliencePipeline _recording = UntilBack.Create(
        logger, "worker", RedisFaults.IsTransient, TimeSpan.FromMilliseconds(100), "could not record an outcome ({Error}); retry {Attempt} in {Delay} while its lease holds.");

    private IDatabase Db => redis.GetDatabase();

    public async Task<ClaimBatch> ClaimAsync(string workerId, WorkerOffer offer, string queue, int max, TimeSpan handoffWait = default)
    {
        var wait = (long)handoffWait.TotalMilliseconds;
        var q = keys.Queue(queue);
        RedisKey[] claimKeys = [q.Lanes, q.Inflight, q.Idle(offer.Signature)];
        // A single Redis: the claim also starts the jobs it takes (queue_claim.lua), one round trip per batch.
        var starts = topology.ClaimStarts;
        var now = clock.NowMs;
        var args = new RedisValue[7 + offer.Functions.Count];
        (args[0], args[1], args[2], args[3], args[4]) = (max, slot.LeaseMs, workerId, wait, q.Base);
        (args[5], args[6]) = starts ? (keys.Prefix, now) : (RedisValue.EmptyString, 0);
        for (var i = 0; i < offer.Functions.Count; i++)
        {
            args[7 + i] = offer.Functions[i];
        }

        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.QueueClaim, claimKeys, args))!;
        if (starts)
        {
            var refs = new JobRef[reply.Length / 2];
            var replies = new RedisResult[refs.Length];
            for (var i = 0; i < refs.Length; i++)
            {
                refs[i] = JobRef.Parse((string)reply[2 * i]!);
                replies[i] = reply[(2 * i) + 1];
            }

            return new ClaimBatch(await ReadStartsAsync(queue, refs, replies, now), QueueDrained: refs.Length < max);
        }

        if (reply.Length == 0)
        {
            return new ClaimBatch([], QueueDrained: true);
        }

        var claimed = await StartAsync(workerId, queue, [.. reply.Select(m => JobRef.Parse((string)m!))]);
        return new ClaimBatch(claimed, QueueDrained: reply.Length < max);
    }

    public Task<IReadOnlyList<ClaimedJob>> StartHandedOffAsync(string workerId, string queue, JobRef job) => StartAsync(workerId, queue, [job]);

    public Task WaitForHandoffAsync(string workerId, string queue, string signature, TimeSpan wait) =>
        slot.WaitForHandoffAsync(workerId, queue, signature, wait);

    public async Task ReturnUnrunAsync(ClaimedJob job) =>
        await release.ReleaseAsync([(job.Job, job.Attempt.ToString(CultureInfo.InvariantCulture), job.Queue)], unrun: true);

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
                    (archive ??= []).Add(new Requeue(RequeueAction.Archive, now, refs[i], queue));
                }
                else if (st != JobHash.StateCodes.Processing)
                {
                    (forget ??= []).Add(refs[i].Member);
                }

                continue;
            }

            claimed.Add(new ClaimedJob(refs[i], (int)reply[0], (string)reply[1]!, (string)reply[2]!, (string)reply[3]!,
                (string)reply[4]!, (string?)reply[5] ?? "", RedisReplies.ParseInt(reply[6]), RedisReplies.ParseInt(reply[7]), RedisReplies.ParseLong(reply[8]), (string?)reply[9] == "1")
            { Queue = queue });
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
                return await RedisJobFinish.EvaluateAsync(Db, keys, retention, job.Job, attempt, outcome, payload, clock.NowMs, taken, retryAt);
            },
            untilLost);

        switch ((int)reply[0])
        {
            case 0 when tries > 1:
                logger.LogWarning("Refused the {Outcome} of {Job} attempt {Attempt} after {Tries} tries: an earlier try recorded it, or its lease had passed to another claim.", outcome.ToWireName(), job.Job, job.Attempt, tries);
                return false;
            case 0:
                logger.LogWarning("Refused the late {Outcome} of {Job} attempt {Attempt}: its lease had passed to another claim.", outcome.ToWireName(), job.Job, job.Attempt);
                return false;
            case 2:
                await AckAsync(() => slot.AckAsync(job.Job, job.Queue, job.Cmd, DateTimeOffset.FromUnixTimeMilliseconds((long)reply[1]), []), untilLost);
                return true;
            default:
                await AckAsync(() => slot.AckAsync(job.Job, job.Queue, job.Cmd, null, RedisReplies.Promoted(reply, 1, job.Job.JobId, routing)), untilLost);
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
                args[i + 1] = chunk[i].Member;
            }

            return db.EvaluateAsync(LuaScripts.QueueRenew, [keys.Queue(queue).Inflight], args);
        }).ToList();

        var lost = new List<JobRef>();
        foreach (var reply in await Task.WhenAll(calls))
        {
            lost.AddRange(((RedisResult[])reply!).Select(m => JobRef.Parse((string)m!)));
        }

        return lost;
    }

    public Task ReleaseAsync(IReadOnlyCollection<ClaimedJob> jobs) =>
        release.ReleaseAsync(jobs.Select(j => (j.Job, j.Attempt.ToString(CultureInfo.InvariantCulture), j.Queue)).ToList());
}
