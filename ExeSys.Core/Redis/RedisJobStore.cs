using System.Globalization;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IJobStore"/> on Redis. Each method costs a fixed number of round trips, each one atomic Lua script
/// confined to one hash slot: the job's own slot (<c>{job_id}</c>) or the queue's (<c>{queue}</c>). A step that
/// touches both is two scripts, ordered so that a crash between them never loses a job:
/// <list type="bullet">
/// <item>submit writes the job, then enqueues it; a job left un-enqueued was never acknowledged to the client,
/// and a re-send of it enqueues it again (<see cref="JobOptions.RequeueStaleAfter"/>);</item>
/// <item>claim moves the reference to the inflight set under a lease before the job moves to state 2, so a
/// worker that dies in between leaves a lease for the controller to expire;</item>
/// <item>the inflight entry is removed only after the result is recorded, and only by the claim that recorded it.</item>
/// </list>
/// </summary>
public sealed class RedisJobStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<JobOptions> options, TimeProvider time, ILogger<RedisJobStore> logger) : IJobStore
{
    private readonly JobOptions _options = options.Value;

    private IDatabase Db => redis.GetDatabase();

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<SubmitOutcome> SubmitAsync(JobCommand command, bool watch)
    {
        var job = command.Job;
        var now = NowMs;
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(
            LuaScripts.JobSubmit,
            [keys.Status(job), keys.DataAvailable(job)],
            [command.To, command.Cmd, command.DataJson, (int)command.Priority, now, watch ? 1 : 0]))!;

        var kind = (string)reply[0]!;
        if (kind == "new")
        {
            await EnqueueAsync([(command.Job, command.Priority)]);
            return new SubmitOutcome(SubmitStatus.Created, new JobSnapshot(
                job, JobState.Start, command.To, command.Cmd, command.DataJson, command.Priority, now, now, 0, null, null, null));
        }

        var snapshot = ReadSnapshot(job, reply, 1);
        if (kind == "conflict")
        {
            return new SubmitOutcome(SubmitStatus.Conflict, snapshot);
        }

        if (snapshot.State == JobState.Start && now - snapshot.UpdatedMs >= _options.RequeueStaleAfter.TotalMilliseconds)
        {
            // Heals a submit whose enqueue step never ran (API crash, Redis blip); ZADD NX makes it a no-op otherwise.
            await EnqueueAsync([(job, snapshot.Priority)]);
        }

        return new SubmitOutcome(SubmitStatus.Existing, snapshot);
    }

    public async Task<JobSnapshot?> GetAsync(JobRef job, bool watch)
    {
        var result = await Db.ScriptEvaluateAsync(LuaScripts.JobGet, [keys.Status(job), keys.DataAvailable(job)], [watch ? 1 : 0]);
        return result.IsNull ? null : ReadSnapshot(job, (RedisResult[])result!, 0);
    }

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int max)
    {
        var db = Db;
        var members = (RedisResult[])(await db.ScriptEvaluateAsync(
            LuaScripts.QueueClaim, [keys.Ready, keys.Inflight], [max, (long)_options.LeaseDuration.TotalMilliseconds]))!;
        if (members.Length == 0)
        {
            return [];
        }

        // One script per job, all in flight at once: the multiplexer pipelines them into one round trip.
        var now = NowMs;
        var refs = new JobRef[members.Length];
        var starts = new Task<RedisResult>[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            refs[i] = JobRef.Parse((string)members[i]!);
            starts[i] = db.ScriptEvaluateAsync(LuaScripts.JobStart, [keys.Status(refs[i])], [workerId, now]);
        }

        var claimed = new List<ClaimedJob>(members.Length);
        List<RedisValue>? forget = null;
        for (var i = 0; i < starts.Length; i++)
        {
            var reply = (RedisResult[])(await starts[i])!;
            if (reply.Length == 2)
            {
                // Not waiting any more. If it has ended or is gone, no claim needs its inflight entry; if another
                // worker runs it (state 2), that worker's lease is this very entry, so it stays.
                if ((string?)reply[1] != "2")
                {
                    (forget ??= []).Add(refs[i].Member);
                }

                continue;
            }

            claimed.Add(new ClaimedJob(refs[i], (int)reply[0], (string)reply[1]!, (string)reply[2]!, (string)reply[3]!));
        }

        if (forget is not null)
        {
            await db.SortedSetRemoveAsync(keys.Inflight, [.. forget]);
        }

        return claimed;
    }

    public Task<bool> CompleteAsync(ClaimedJob job, string resultJson) => FinishAsync(job, JobState.DataAvailable, resultJson);

    public Task<bool> FailAsync(ClaimedJob job, string message) => FinishAsync(job, JobState.Error, message);

    private async Task<bool> FinishAsync(ClaimedJob job, JobState outcome, string payload)
    {
        var db = Db;
        var recorded = (int)await db.ScriptEvaluateAsync(
            LuaScripts.JobFinish,
            [keys.Status(job.Job), keys.DataAvailable(job.Job)],
            [job.Attempt, (int)outcome, payload, NowMs, (long)_options.Retention.TotalMilliseconds, keys.DoneChannelName, job.Job.Member]) == 1;
        if (!recorded)
        {
            logger.LogWarning("Refused the late {Outcome} of {Job} attempt {Attempt}: its lease had passed to another claim.", outcome.ToWireName(), job.Job, job.Attempt);
            return false;
        }

        // The result is safe; dropping the lease entry can no longer lose the job. If this ack is lost, the
        // controller finds the job ended when the lease expires and drops the entry then.
        _ = db.SortedSetRemoveAsync(keys.Inflight, job.Job.Member, CommandFlags.FireAndForget);
        return true;
    }

    public async Task RenewLeasesAsync(IReadOnlyCollection<JobRef> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var args = new RedisValue[jobs.Count + 1];
        args[0] = (long)_options.LeaseDuration.TotalMilliseconds;
        var i = 1;
        foreach (var job in jobs)
        {
            args[i++] = job.Member;
        }

        await Db.ScriptEvaluateAsync(LuaScripts.QueueRenew, [keys.Inflight], args);
    }

    public Task ReleaseAsync(IReadOnlyCollection<ClaimedJob> jobs) =>
        ReleaseCoreAsync(jobs.Select(j => (j.Job, j.Attempt.ToString(CultureInfo.InvariantCulture))).ToList());

    public async Task<int> RecoverExpiredLeasesAsync(int max)
    {
        var expired = (RedisResult[])(await Db.ScriptEvaluateAsync(LuaScripts.QueueExpired, [keys.Inflight], [max]))!;
        if (expired.Length == 0)
        {
            return 0;
        }

        var jobs = expired.Select(m => (JobRef.Parse((string)m!), string.Empty)).ToList();
        await ReleaseCoreAsync(jobs);
        logger.LogWarning("Took back {Count} job(s) whose lease expired: {Jobs}", jobs.Count, string.Join(", ", jobs.Select(j => j.Item1)));
        return jobs.Count;
    }

    /// <param name="jobs">Each job with the attempt that must still hold it, or "" for whichever claim holds it.</param>
    private async Task ReleaseCoreAsync(IReadOnlyList<(JobRef Job, string Attempt)> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var db = Db;
        var now = NowMs;
        var replies = await Task.WhenAll(jobs.Select(j =>
            db.ScriptEvaluateAsync(LuaScripts.JobRelease, [keys.Status(j.Job)], [j.Attempt, now])));

        var requeue = new List<(JobRef, JobPriority)>();
        var drop = new List<RedisValue>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var reply = (RedisResult[])replies[i]!;
            switch ((string?)reply[0])
            {
                case "requeue":
                    requeue.Add((jobs[i].Job, ParsePriority(reply[1])));
                    break;
                case "drop":
                    drop.Add(jobs[i].Job.Member);
                    break;
            }
        }

        var args = new List<RedisValue>(2 + (requeue.Count * 2) + drop.Count) { keys.WakeChannelName, requeue.Count };
        foreach (var (job, priority) in requeue)
        {
            args.Add(QueueScore(now, priority));
            args.Add(job.Member);
        }

        args.AddRange(drop);
        await db.ScriptEvaluateAsync(LuaScripts.QueueRequeue, [keys.Ready, keys.Inflight], [.. args]);
    }

    private async Task EnqueueAsync(IReadOnlyList<(JobRef Job, JobPriority Priority)> jobs)
    {
        var now = NowMs;
        var args = new RedisValue[1 + (jobs.Count * 2)];
        args[0] = keys.WakeChannelName;
        for (var i = 0; i < jobs.Count; i++)
        {
            args[1 + (i * 2)] = QueueScore(now, jobs[i].Priority);
            args[2 + (i * 2)] = jobs[i].Job.Member;
        }

        await Db.ScriptEvaluateAsync(LuaScripts.QueueEnqueue, [keys.Ready], args);
    }

    /// <summary>Queue order: enqueue time, moved ahead (high) or back (low) by <see cref="JobOptions.PriorityAging"/>.</summary>
    private long QueueScore(long nowMs, JobPriority priority) => priority switch
    {
        JobPriority.High => nowMs - (long)_options.PriorityAging.TotalMilliseconds,
        JobPriority.Low => nowMs + (long)_options.PriorityAging.TotalMilliseconds,
        _ => nowMs,
    };

    private static JobPriority ParsePriority(RedisResult value) =>
        int.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && Enum.IsDefined((JobPriority)p)
            ? (JobPriority)p
            : JobPriority.Normal;

    /// <summary>Reads the field order shared by job_submit.lua and job_get.lua: st, to, cmd, data, pri, ct, ut, at, err, wk, result.</summary>
    private static JobSnapshot ReadSnapshot(JobRef job, RedisResult[] r, int offset) => new(
        job,
        (JobState)(int)r[offset],
        (string)r[offset + 1]!,
        (string)r[offset + 2]!,
        (string)r[offset + 3]!,
        ParsePriority(r[offset + 4]),
        (long)r[offset + 5],
        (long)r[offset + 6],
        (int)r[offset + 7],
        r[offset + 8].IsNull ? null : (string?)r[offset + 8],
        r[offset + 9].IsNull ? null : (string?)r[offset + 9],
        ExtractResult(r[offset + 10]));

    /// <summary>data_available holds <c>{"to":...,"result":...}</c>, as in the original; the reply needs the result part.</summary>
    private static string? ExtractResult(RedisResult value)
    {
        if (value.IsNull)
        {
            return null;
        }

        using var doc = System.Text.Json.JsonDocument.Parse((string)value!);
        return doc.RootElement.TryGetProperty("result", out var result) ? result.GetRawText() : null;
    }
}
