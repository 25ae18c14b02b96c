using System.Globalization;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Logging;
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
    RedisQueueSlot queue,
    RedisTopology topology,
    RetentionPolicy retention,
    RedisClock clock,
    RedisLeaseRelease release,
    ILogger<RedisWorkerConnection> logger) : IWorkerConnection
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<ClaimBatch> ClaimAsync(string workerId, int max, TimeSpan handoffWait = default)
    {
        var wait = (long)handoffWait.TotalMilliseconds;
        if (topology.ClaimStarts)
        {
            // A single Redis: the claim also starts the jobs it takes (queue_claim.lua), one round trip per batch.
            var now = clock.NowMs;
            var pairs = (RedisResult[])(await Db.EvaluateAsync(
                LuaScripts.QueueClaim, keys.Handoff, [max, queue.LeaseMs, workerId, wait, keys.Prefix, now]))!;
            var refs = new JobRef[pairs.Length / 2];
            var replies = new RedisResult[refs.Length];
            for (var i = 0; i < refs.Length; i++)
            {
                refs[i] = JobRef.Parse((string)pairs[2 * i]!);
                replies[i] = pairs[(2 * i) + 1];
            }

            return new ClaimBatch(await ReadStartsAsync(refs, replies, now), QueueDrained: refs.Length < max);
        }

        var members = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.QueueClaim, keys.Handoff, [max, queue.LeaseMs, workerId, wait]))!;
        if (members.Length == 0)
        {
            return new ClaimBatch([], QueueDrained: true);
        }

        var claimed = await StartAsync(workerId, [.. members.Select(m => JobRef.Parse((string)m!))]);
        return new ClaimBatch(claimed, QueueDrained: members.Length < max);
    }

    public Task<IReadOnlyList<ClaimedJob>> StartHandedOffAsync(string workerId, JobRef job) => StartAsync(workerId, [job]);

    public Task WaitForHandoffAsync(string workerId, TimeSpan wait) => queue.WaitForHandoffAsync(workerId, wait);

    /// <summary>Moves leased jobs to state 2 (job_start.lua), and drops the leases of those no longer waiting.</summary>
    private async Task<IReadOnlyList<ClaimedJob>> StartAsync(string workerId, JobRef[] refs)
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

        return await ReadStartsAsync(refs, await Task.WhenAll(starts), now);
    }

    /// <summary>Reads job_start.lua's reply for each job, and drops the leases of those no longer waiting.</summary>
    private async Task<IReadOnlyList<ClaimedJob>> ReadStartsAsync(JobRef[] refs, RedisResult[] replies, long now)
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
                    (archive ??= []).Add(new Requeue(RequeueAction.Archive, now, refs[i]));
                }
                else if (st != JobHash.StateCodes.Processing)
                {
                    (forget ??= []).Add(refs[i].Member);
                }

                continue;
            }

            claimed.Add(new ClaimedJob(refs[i], (int)reply[0], (string)reply[1]!, (string)reply[2]!, (string)reply[3]!,
                (string)reply[4]!, (string?)reply[5] ?? "", RedisReplies.ParseInt(reply[6]), RedisReplies.ParseInt(reply[7]), RedisReplies.ParseLong(reply[8]), (string?)reply[9] == "1"));
        }

        if (forget is not null)
        {
            await Db.SortedSetRemoveAsync(keys.Inflight, [.. forget]);
        }

        if (archive is not null)
        {
            await queue.RequeueAsync(archive);
        }

        return claimed;
    }

    public Task<bool> CompleteAsync(ClaimedJob job, string resultJson, IReadOnlyList<string> takenEdges) =>
        FinishAsync(job, JobState.DataAvailable, resultJson, string.Join(',', takenEdges), null);

    public Task<bool> FailAsync(ClaimedJob job, string message, DateTimeOffset? retryAt) =>
        FinishAsync(job, JobState.Error, message, "", retryAt);

    public Task<bool> DeferAsync(ClaimedJob job, DateTimeOffset until) =>
        FinishAsync(job, JobState.Standby, "", "", until);

    private async Task<bool> FinishAsync(ClaimedJob job, JobState outcome, string payload, string taken, DateTimeOffset? retryAt)
    {
        var reply = (RedisResult[])(await Db.EvaluateAsync(
            LuaScripts.JobFinish,
            [keys.Status(job.Job), keys.Workflow(job.Job.JobId)],
            [job.Attempt, (int)outcome, payload, clock.NowMs, retention.ScriptRetentionMs, keys.DoneChannelName, job.Job.Member,
             keys.Prefix, job.Job.JobId, job.Job.From, taken, retryAt?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? ""]))!;

        switch ((int)reply[0])
        {
            case 0:
                logger.LogWarning("Refused the late {Outcome} of {Job} attempt {Attempt}: its lease had passed to another claim.", outcome.ToWireName(), job.Job, job.Attempt);
                return false;
            case 2:
                await queue.AckAsync(job.Job, DateTimeOffset.FromUnixTimeMilliseconds((long)reply[1]), []);
                return true;
            default:
                await queue.AckAsync(job.Job, null, RedisReplies.NamesWithPriorities(reply, 1, job.Job.JobId));
                return true;
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

    public async Task RenewLeasesAsync(IReadOnlyCollection<JobRef> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var args = new RedisValue[jobs.Count + 1];
        args[0] = queue.LeaseMs;
        var i = 1;
        foreach (var job in jobs)
        {
            args[i++] = job.Member;
        }

        await Db.EvaluateAsync(LuaScripts.QueueRenew, [keys.Inflight], args);
    }

    public Task ReleaseAsync(IReadOnlyCollection<ClaimedJob> jobs) =>
        release.ReleaseAsync(jobs.Select(j => (j.Job, j.Attempt.ToString(CultureInfo.InvariantCulture))).ToList());
}
