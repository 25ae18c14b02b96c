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
/// and a re-send of it (while it is in state 0) enqueues it again. On a single Redis, a lone submit does both in
/// one script (<see cref="RedisQueueSlot.CombinesSlots"/>);</item>
/// <item>claim moves the reference to the inflight set under a lease before the job moves to state 2, so a
/// worker that dies in between leaves a lease for the controller to expire;</item>
/// <item>finish records the outcome and promotes workflow successors in the job's slot; only then does the ack drop
/// the lease and enqueue them. If the worker dies in between, the expired lease leads the controller to the ended
/// job, and job_release.lua hands back the promoted successors.</item>
/// </list>
/// </summary>
public sealed class RedisJobStore(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    RedisQueueSlot queue,
    RedisArchiveBacklog backlog,
    IOptions<JobOptions> options,
    ILogger<RedisJobStore> logger) : IJobStore
{
    private readonly JobOptions _options = options.Value;

    private IDatabase Db => redis.GetDatabase();

    private long RetentionMs => queue.ScriptRetentionMs;

    /// <summary>Single submits in progress in this process.</summary>
    private int _submitting;

    public async Task<SubmitOutcome> SubmitAsync(JobCommand command, bool watch)
    {
        // A lone submit (the latency case) writes and enqueues in one script where the Redis allows it. Concurrent
        // submits keep the two steps: their enqueues share one queue_enqueue call (RedisQueueSlot), which costs Redis
        // far less per job than one enqueue inside every job's script.
        var alone = Interlocked.Increment(ref _submitting) == 1;
        Written written;
        try
        {
            written = await WriteAsync(command, watch, queue.NowMs, combine: alone && queue.CombinesSlots);
        }
        finally
        {
            Interlocked.Decrement(ref _submitting);
        }

        if (written.Enqueue)
        {
            await queue.EnqueueAsync([(command.Job, written.Outcome.Snapshot!.Priority)]);
        }
        else if (written.Backlog)
        {
            await backlog.AddAsync([command.Job]);
        }

        return written.Outcome;
    }

    public async Task<IReadOnlyList<SubmitOutcome>> SubmitManyAsync(IReadOnlyList<JobCommand> commands, bool watch)
    {
        // Every job is its own slot, so one script per job; all in flight at once, the multiplexer pipelines them.
        var now = queue.NowMs;
        var writes = new Task<Written>[commands.Count];
        for (var i = 0; i < commands.Count; i++)
        {
            writes[i] = WriteAsync(commands[i], watch, now, combine: false);
        }

        var written = await Task.WhenAll(writes);
        var enqueue = new List<(JobRef, JobPriority)>();
        var ended = new List<JobRef>();
        for (var i = 0; i < written.Length; i++)
        {
            if (written[i].Enqueue)
            {
                enqueue.Add((commands[i].Job, written[i].Outcome.Snapshot!.Priority));
            }
            else if (written[i].Backlog)
            {
                ended.Add(commands[i].Job);
            }
        }

        await queue.EnqueueAsync(enqueue);
        if (ended.Count > 0)
        {
            await backlog.AddAsync(ended);
        }

        return [.. written.Select(w => w.Outcome)];
    }

    /// <summary>What job_submit.lua did with one command, and what must follow in the queue slot.</summary>
    /// <param name="Enqueue">The job is in state 0: enqueue it (new, or a re-send healing a lost enqueue; ZADD NX makes that a no-op when it is queued).</param>
    /// <param name="Backlog">A step whose chain had already failed ended at once, without a worker to put it on the archive backlog.</param>
    private readonly record struct Written(SubmitOutcome Outcome, bool Enqueue, bool Backlog);

    /// <param name="combine">Enqueue a new job in the same script (only where <see cref="RedisQueueSlot.CombinesSlots"/>).</param>
    private async Task<Written> WriteAsync(JobCommand command, bool watch, long now, bool combine)
    {
        var job = command.Job;
        var tombstones = queue.Archives ? 1 : 0;
        var submitKeys = new RedisKey[2 + tombstones + (combine ? keys.Handoff.Length : 0)];
        (submitKeys[0], submitKeys[1]) = (keys.Status(job), keys.Workflow(job.JobId));
        if (queue.Archives)
        {
            submitKeys[2] = keys.Tombstone(job);
        }

        RedisValue[] args =
        [
            command.To, command.Cmd, command.DataJson, (int)command.Priority, now, watch ? 1 : 0, command.IsWorkflowStep ? 1 : 0,
            _options.MaxAttempts, RetentionMs, job.From,
        ];
        if (combine)
        {
            // A single Redis: the script enqueues a new job itself (job_submit.lua), one round trip instead of two.
            keys.Handoff.CopyTo(submitKeys, 2 + tombstones);
            args = [.. args, 3 + tombstones, keys.WakeChannelName, queue.LeaseMs, queue.Score(now, command.Priority), job.Member];
        }

        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.JobSubmit, submitKeys, args))!;

        var kind = (string)reply[0]!;
        if (kind == "archived")
        {
            return new Written(new SubmitOutcome(SubmitStatus.Archived, null), false, false);
        }

        if (kind == "new")
        {
            // State 2 when an idle worker took it at once: its first attempt has started.
            var state = (JobState)(int)reply[1];
            var created = new SubmitOutcome(SubmitStatus.Created, new JobSnapshot(
                job, state, command.To, command.Cmd, command.DataJson, command.Priority, now, now, state == JobState.Processing ? 1 : 0,
                reply.Length > 2 && !reply[2].IsNull ? (string?)reply[2] : null, reply.Length > 3 ? (string?)reply[3] : null, null));
            return new Written(created, state == JobState.Start && !combine, state == JobState.Error && queue.Archives);
        }

        var snapshot = ReadSnapshot(job, reply, 1);
        return kind == "conflict"
            ? new Written(new SubmitOutcome(SubmitStatus.Conflict, snapshot), false, false)
            : new Written(new SubmitOutcome(SubmitStatus.Existing, snapshot), snapshot.State == JobState.Start, false);
    }

    public async Task<JobSnapshot?> GetAsync(JobRef job, bool watch)
    {
        var result = await Db.EvaluateAsync(LuaScripts.JobGet, [keys.Status(job)], [watch ? 1 : 0]);
        return result.IsNull ? null : ReadSnapshot(job, (RedisResult[])result!, 0);
    }

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int max) => (await ClaimBatchAsync(workerId, max)).Jobs;

    public async Task<ClaimBatch> ClaimBatchAsync(string workerId, int max, TimeSpan handoffWait = default)
    {
        var wait = (long)handoffWait.TotalMilliseconds;
        if (queue.CombinesSlots)
        {
            // A single Redis: the claim also starts the jobs it takes (queue_claim.lua), one round trip per batch.
            var now = queue.NowMs;
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
        var now = queue.NowMs;
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
        List<(char, long, JobRef)>? archive = null;
        for (var i = 0; i < refs.Length; i++)
        {
            var reply = (RedisResult[])replies[i]!;
            if (reply.Length == 2)
            {
                // Not waiting any more. If it has ended, is gone or is held, no claim needs its inflight entry; if
                // another worker runs it (state 2), that worker's lease is this very entry, so it stays.
                var st = (string?)reply[1];
                if (queue.Archives && st is "3" or "4")
                {
                    // Its claim overwrote the lease whose expiry would otherwise bring it to the archive backlog.
                    (archive ??= []).Add(('a', now, refs[i]));
                }
                else if (st != "2")
                {
                    (forget ??= []).Add(refs[i].Member);
                }

                continue;
            }

            claimed.Add(new ClaimedJob(refs[i], (int)reply[0], (string)reply[1]!, (string)reply[2]!, (string)reply[3]!,
                (string)reply[4]!, (string?)reply[5] ?? "", ParseInt(reply[6]), ParseInt(reply[7]), ParseLong(reply[8]), (string?)reply[9] == "1"));
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
            [job.Attempt, (int)outcome, payload, queue.NowMs, RetentionMs, keys.DoneChannelName, job.Job.Member,
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
                await queue.AckAsync(job.Job, null, NamesWithPriorities(reply, 1, job.Job.JobId));
                return true;
        }
    }

    public async Task<bool> PublishProgressAsync(ClaimedJob job, string progressJson) =>
        (int)await Db.EvaluateAsync(LuaScripts.JobProgress, [keys.Status(job.Job)], [job.Attempt, progressJson, queue.NowMs]) == 1;

    public async Task<StopOutcome> RequestStopAsync(JobRef job) =>
        (int)await Db.EvaluateAsync(LuaScripts.JobStop, [keys.Status(job)], [keys.StopChannel.ToString(), job.Member]) switch
        {
            1 => StopOutcome.Requested,
            2 => StopOutcome.AlreadyEnded,
            _ => StopOutcome.NoSuchJob,
        };

    public async Task<(IReadOnlyList<JobRef> Stop, IReadOnlyList<JobRef> Cancel)> GetSignalsAsync(IReadOnlyCollection<JobRef> jobs)
    {
        var db = Db;
        var reads = jobs.Select(j => (Job: j, Flags: db.HashGetAsync(keys.Status(j), ["stop", "cancel"]))).ToList();
        await Task.WhenAll(reads.Select(r => r.Flags));
        return ([.. reads.Where(r => !r.Flags.Result[0].IsNull).Select(r => r.Job)],
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
        ReleaseCoreAsync(jobs.Select(j => (j.Job, j.Attempt.ToString(CultureInfo.InvariantCulture))).ToList());

    public async Task<int> RecoverExpiredLeasesAsync(int max)
    {
        var expired = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.QueueExpired, [keys.Inflight], [max]))!;
        if (expired.Length == 0)
        {
            return 0;
        }

        var jobs = expired.Select(m => (JobRef.Parse((string)m!), string.Empty)).ToList();
        await ReleaseCoreAsync(jobs);
        logger.LogWarning("Took back {Count} job(s) whose lease expired: {Jobs}", jobs.Count, string.Join(", ", jobs.Select(j => j.Item1)));
        return jobs.Count;
    }

    public async Task<int> PromoteDueRetriesAsync(int max) =>
        (int)await Db.EvaluateAsync(LuaScripts.QueueDue, [keys.Scheduled, keys.Ready], [keys.WakeChannelName, max]);

    /// <param name="jobs">Each job with the attempt that must still hold it, or "" for whichever claim holds it.</param>
    private async Task ReleaseCoreAsync(IReadOnlyList<(JobRef Job, string Attempt)> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var db = Db;
        var now = queue.NowMs;
        var replies = await Task.WhenAll(jobs.Select(j =>
            db.EvaluateAsync(LuaScripts.JobRelease, [keys.Status(j.Job), keys.Workflow(j.Job.JobId)],
                [j.Attempt, now, keys.Prefix, j.Job.JobId, j.Job.From])));

        var actions = new List<(char, long, JobRef)>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i].Job;
            var reply = (RedisResult[])replies[i]!;
            switch ((string?)reply[0])
            {
                case "requeue":
                    actions.Add(('r', queue.Score(now, ParsePriority(reply[1])), job));
                    break;
                case "retry":
                    actions.Add(('s', (long)reply[2], job));
                    break;
                case "drop":
                case "ended":
                    // An ended job whose ack was lost (the worker died after recording it): it still goes to the archive.
                    actions.Add(((string?)reply[0] == "ended" && queue.Archives ? 'a' : 'd', now, job));
                    for (var s = 1; s + 1 < reply.Length; s += 2)
                    {
                        actions.Add(('e', queue.Score(now, ParsePriority(reply[s + 1])), new JobRef((string)reply[s]!, job.JobId)));
                    }

                    break;
            }
        }

        await queue.RequeueAsync(actions);
    }

    /// <summary>Reads name, priority pairs (workflow jobs to enqueue) from a script reply, starting at <paramref name="from"/>.</summary>
    internal static List<(JobRef, JobPriority)> NamesWithPriorities(RedisResult[] reply, int from, string jobId)
    {
        var jobs = new List<(JobRef, JobPriority)>();
        for (var i = from; i + 1 < reply.Length; i += 2)
        {
            jobs.Add((new JobRef((string)reply[i]!, jobId), ParsePriority(reply[i + 1])));
        }

        return jobs;
    }

    private static long ParseLong(RedisResult value) =>
        long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static int ParseInt(RedisResult value) =>
        int.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    internal static JobPriority ParsePriority(RedisResult value) =>
        int.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && Enum.IsDefined((JobPriority)p)
            ? (JobPriority)p
            : JobPriority.Normal;

    /// <summary>The number of values <see cref="ReadSnapshot"/> reads.</summary>
    internal const int SnapshotFields = 14;

    /// <summary>Reads the field order shared by job_submit.lua, job_get.lua and the workflow scripts: st, to, cmd, data, pri, ct, ut, at, err, wk, result, retry_at, errors, progress.</summary>
    internal static JobSnapshot ReadSnapshot(JobRef job, RedisResult[] r, int offset) => new(
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
        ExtractResult(r[offset + 10]),
        r.Length > offset + 11 && !r[offset + 11].IsNull ? (long)r[offset + 11] : null,
        r.Length > offset + 12 && !r[offset + 12].IsNull ? System.Text.Json.JsonSerializer.Deserialize((string)r[offset + 12]!, CoreJsonContext.Default.ListString) : null,
        r.Length > offset + 13 && !r[offset + 13].IsNull ? (string?)r[offset + 13] : null);

    /// <summary>
    /// Reads a message of the done channel: <c>from:job_id</c>, then, when the script that finished the job sent it, a
    /// newline and the job as a JSON array in <see cref="ReadSnapshot"/>'s field order (false for a missing field).
    /// The message leaves out the job's input data, which the waiting request already has: the snapshot's
    /// <see cref="JobSnapshot.DataJson"/> is empty, for the waiter to fill in.
    /// </summary>
    public static (JobRef Job, JobSnapshot? Snapshot) ReadDoneMessage(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0)
        {
            return (JobRef.Parse(message), null);
        }

        var job = JobRef.Parse(message[..newline]);
        using var doc = System.Text.Json.JsonDocument.Parse(message.AsMemory(newline + 1));
        var fields = doc.RootElement.EnumerateArray()
            .Select(e => e.ValueKind == System.Text.Json.JsonValueKind.String ? RedisResult.Create((RedisValue)e.GetString()) : RedisResult.Create(RedisValue.Null))
            .ToArray();
        return (job, ReadSnapshot(job, fields, 0) with { DataJson = string.Empty });
    }

    /// <summary>data_available holds <c>{"to":...,"result":...}</c>, as in the original; the reply needs the result part.</summary>
    internal static string? ExtractResult(RedisResult value)
    {
        if (value.IsNull)
        {
            return null;
        }

        using var doc = System.Text.Json.JsonDocument.Parse((string)value!);
        return doc.RootElement.TryGetProperty("result", out var result) ? result.GetRawText() : null;
    }
}
