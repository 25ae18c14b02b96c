using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Core.Observability.Tracing;
using ExeSys.Core.Queues;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IJobClient"/> on Redis; with <see cref="RedisWorkerConnection"/> and <see cref="RedisStoreMaintenance"/>
/// the whole job store. Each method costs a fixed number of round trips, each one atomic Lua script in one hash slot:
/// the job's own (<c>{job_id}</c>) or the queue's (<c>{queue}</c>). A step that touches both is two scripts, ordered so
/// that a crash between them never loses a job; on a single Redis (never on a cluster) some steps are one script that
/// takes both slots' keys (<see cref="RedisTopology"/>):
/// <list type="bullet">
/// <item>submit writes the job, then enqueues it; a job left un-enqueued was never acknowledged to the client,
/// and a re-send of it (while it is in state 0) enqueues it again. On a single Redis, a lone submit does both in
/// one script (<see cref="RedisTopology.SubmitEnqueues"/>), or starts the job for an idle worker;</item>
/// <item>claim moves the reference to the inflight set under a lease before the job moves to state 2, so a
/// worker that dies in between leaves a lease for the controller to expire (on a single Redis, one script does both:
/// <see cref="RedisTopology.ClaimStarts"/>);</item>
/// <item>finish records the outcome and promotes workflow successors in the job's slot; only then does the ack drop
/// the lease and enqueue them. If the worker dies in between, the expired lease leads the controller to the ended
/// job, and job_release.lua hands back the promoted successors.</item>
/// </list>
/// </summary>
public sealed class RedisJobClient(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    RedisQueueSlot queue,
    RedisTopology topology,
    RetentionPolicy retention,
    RedisClock clock,
    RedisArchiveBacklog backlog,
    QueueRouting routing,
    JobLanes lanes,
    IOptions<JobOptions> options,
    ExeSysMetrics? metrics = null,
    RedisJobIndex? index = null) : IJobClient
{
    private readonly JobOptions _options = options.Value;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Single submits in progress in this process.</summary>
    private int _submitting;

    /// <summary>ARGV[15..20] of job_submit.lua without queue keys, when the console index's arguments follow them.</summary>
    private static readonly RedisValue[] NoQueueArgs = ["", "", "", "", "", ""];

    public async Task<SubmitOutcome> SubmitAsync(JobCommand command, bool watch)
    {
        // A lone submit (the latency case) writes and enqueues in one script where the Redis allows it
        // (RedisTopology.SubmitEnqueues says when).
        var alone = Interlocked.Increment(ref _submitting) == 1;
        Written written;
        try
        {
            // A delayed job is written in standby, then scheduled in its queue's slot: never enqueued by the first script.
            written = await WriteAsync(command, watch, clock.NowMs, combine: command.RunAtMs is null && topology.SubmitEnqueues(alone));
        }
        finally
        {
            Interlocked.Decrement(ref _submitting);
        }

        // The console's index, where the script could not add to it (another slot): in flight with the enqueue.
        var indexed = written.IndexLater ? index!.AddJobsAsync([command.Job]) : Task.CompletedTask;
        if (written.Enqueue)
        {
            await queue.EnqueueAsync([Queued(command, written.Outcome.Snapshot!.Priority)]);
        }
        else if (written.Schedule is { } due)
        {
            await queue.RequeueAsync([Scheduled(command, due)]);
        }
        else if (written.Backlog)
        {
            await backlog.AddAsync([command.Job]);
        }

        await indexed;
        CountSubmitted(command, written.Outcome);
        return written.Outcome;
    }

    public async Task<IReadOnlyList<SubmitOutcome>> SubmitManyAsync(IReadOnlyList<JobCommand> commands, bool watch)
    {
        // Every job is its own slot, so one script per job; all in flight at once, the multiplexer pipelines them.
        var now = clock.NowMs;
        var writes = new Task<Written>[commands.Count];
        for (var i = 0; i < commands.Count; i++)
        {
            writes[i] = WriteAsync(commands[i], watch, now, combine: false);
        }

        var written = await Task.WhenAll(writes);
        var enqueue = new List<QueuedJob>();
        var ended = new List<JobRef>();
        var delayed = new List<Requeue>();
        for (var i = 0; i < written.Length; i++)
        {
            if (written[i].Enqueue)
            {
                enqueue.Add(Queued(commands[i], written[i].Outcome.Snapshot!.Priority));
            }
            else if (written[i].Schedule is { } due)
            {
                delayed.Add(Scheduled(commands[i], due));
            }
            else if (written[i].Backlog)
            {
                ended.Add(commands[i].Job);
            }
        }

        var indexed = index is null ? Task.CompletedTask
            : index.AddJobsAsync([.. written.Where(w => w.IndexLater).Select(w => w.Outcome.Snapshot!.Job)]);
        await queue.EnqueueAsync(enqueue);
        await queue.RequeueAsync(delayed);
        await indexed;
        if (ended.Count > 0)
        {
            await backlog.AddAsync(ended);
        }

        for (var i = 0; i < written.Length; i++)
        {
            CountSubmitted(commands[i], written[i].Outcome);
        }

        return [.. written.Select(w => w.Outcome)];
    }

    private void CountSubmitted(JobCommand command, SubmitOutcome outcome)
    {
        if (metrics is not null && outcome.Status == SubmitStatus.Created)
        {
            metrics.JobSubmitted(command.Cmd, routing.QueueOf(command.Cmd, command.Queue));
        }
    }

    /// <summary>A limited job waits in its limited lane: its function is then '~&lt;lane&gt;' (<see cref="JobLanes"/>).</summary>
    private QueuedJob Queued(JobCommand command, JobPriority priority) =>
        new(command.Job, priority, JobLanes.QueueFunction(command.Cmd, lanes.LaneOf(command)), routing.QueueOf(command.Cmd, command.Queue));

    /// <summary>
    /// A delayed job into its queue's scheduled set, due at its run_at, as a retry waits (queue_requeue.lua 's': its
    /// ZREM of inflight is a no-op for a job never claimed). queue_due.lua moves it onto its lane when due.
    /// </summary>
    private Requeue Scheduled(JobCommand command, long due) =>
        new(RequeueAction.Schedule, due, command.Job, routing.QueueOf(command.Cmd, command.Queue), JobLanes.QueueFunction(command.Cmd, lanes.LaneOf(command)));

    /// <summary>What job_submit.lua did with one command, and what must follow in the queue slot.</summary>
    /// <param name="Schedule">A delayed job waiting in standby: put it in its queue's scheduled set at this due time (new, or a re-send healing a lost schedule; ZADD of the same score is a no-op).</param>
    /// <param name="Enqueue">The job is in state 0: enqueue it (new, or a re-send healing a lost enqueue; ZADD NX makes that a no-op when it is queued).</param>
    /// <param name="Backlog">A step whose chain had already failed ended at once, without a worker to put it on the archive backlog.</param>
    /// <param name="IndexLater">A new job the script did not add to its tenant's console index: the caller adds it (<see cref="RedisJobIndex"/>).</param>
    private readonly record struct Written(SubmitOutcome Outcome, bool Enqueue, bool Backlog, long? Schedule = null, bool IndexLater = false);

    /// <param name="combine">Enqueue a new job in the same script (only where <see cref="RedisTopology.SubmitEnqueues"/>).</param>
    private async Task<Written> WriteAsync(JobCommand command, bool watch, long now, bool combine)
    {
        var job = command.Job;
        // A limited job waits in its limited lane and starts only through a claim (JobLanes): never directly here.
        var lane = lanes.LaneOf(command);
        var tombstones = retention.Archives ? 1 : 0;
        List<RedisKey> submitKeys = [keys.Status(job), keys.Workflow(job.JobId)];
        if (retention.Archives)
        {
            submitKeys.Add(keys.Tombstone(job));
        }

        // The console's recent-jobs index, before the queue keys, where the script may take it (a single Redis).
        var inScript = index?.JobsInScript(job);
        if (inScript is { } ix)
        {
            submitKeys.Add(ix.Key);
        }

        var indexes = inScript is null ? 0 : 1;

        RedisValue[] args =
        [
            command.To, command.Cmd, command.DataJson, (int)command.Priority, now, watch ? 1 : 0, command.IsWorkflowStep ? 1 : 0,
            _options.MaxAttempts, retention.ScriptRetentionMs, job.From, command.Queue ?? "", lane ?? "",
            command.RunAtMs is { } runAt ? runAt : RedisValue.EmptyString, JobTracing.CurrentTraceParent(),
        ];
        if (combine)
        {
            // A single Redis: the script enqueues a new job itself onto its function's lane (job_submit.lua), one round
            // trip instead of two, or starts it for an idle worker whose offer signature has the function.
            var q = keys.Queue(routing.QueueOf(command.Cmd, command.Queue));
            submitKeys.Add(q.Lanes);
            submitKeys.Add(q.Inflight);
            if (lane is null)
            {
                submitKeys.AddRange(await queue.IdleSetsAsync(q.Name, command.Cmd));
            }

            args = [.. args, 3 + tombstones + indexes, q.WakeChannelName, queue.LeaseMs, queue.Score(now, command.Priority), job.Member, q.Base];
        }
        else if (inScript is not null)
        {
            args = [.. args, .. NoQueueArgs];
        }

        if (inScript is { } added)
        {
            args = [.. args, 3 + tombstones, job.Member, added.Bound];
        }

        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.JobSubmit, [.. submitKeys], args))!;

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
                reply.Length > 2 && !reply[2].IsNull ? (string?)reply[2] : null, reply.Length > 3 ? (string?)reply[3] : null, null,
                command.RunAtMs));
            return new Written(created, state == JobState.Start && !combine, state == JobState.Error && retention.Archives,
                state == JobState.Standby && command.RunAtMs is { } due ? due : null, IndexLater: index is not null && inScript is null);
        }

        var snapshot = RedisReplies.ReadSnapshot(job, reply, 1);
        return kind == "conflict"
            ? new Written(new SubmitOutcome(SubmitStatus.Conflict, snapshot), false, false)
            : new Written(new SubmitOutcome(SubmitStatus.Existing, snapshot), snapshot.State == JobState.Start, false,
                snapshot.State == JobState.Standby && command.RunAtMs is not null && !command.IsWorkflowStep ? snapshot.RetryAtMs : null);
    }

    public async Task<JobSnapshot?> GetAsync(JobRef job, bool watch)
    {
        var result = await Db.EvaluateAsync(LuaScripts.JobGet, [keys.Status(job)], [watch ? 1 : 0]);
        return result.IsNull ? null : RedisReplies.ReadSnapshot(job, (RedisResult[])result!, 0);
    }

    public async Task<(WaitingJobAction Outcome, JobState? State)> CancelWaitingAsync(JobRef job, string reason)
    {
        var reply = await RedisJobFinish.EvaluateAsync(Db, keys, retention, job, "", JobState.Error, reason, clock.NowMs, "", null);
        if ((int)reply[0] == 1)
        {
            // Ended without a worker's ack, so put on the archive backlog here (history on only).
            if (retention.Archives)
            {
                await backlog.AddAsync([job]);
            }

            return (WaitingJobAction.Applied, JobState.Error);
        }

        return Refused(await GetAsync(job, false), cancel: true);
    }

    public async Task<(WaitingJobAction Outcome, JobState? State)> RunNowAsync(JobRef job)
    {
        var reply = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.JobRunNow, [keys.Status(job)]))!;
        if ((int)reply[0] == 1)
        {
            await queue.RequeueAsync([WaitDelivery.Wake(queue, clock, routing, job, reply)]);
            return (WaitingJobAction.Applied, JobState.Standby);
        }

        return (string?)reply[1] is null or "" ? (WaitingJobAction.NoSuchJob, null) : Refused(await GetAsync(job, false), cancel: false);
    }

    /// <summary>Why a cancel or run-now left the job as it was, read after the script refused.</summary>
    private static (WaitingJobAction, JobState?) Refused(JobSnapshot? job, bool cancel) => job switch
    {
        null => (WaitingJobAction.NoSuchJob, null),
        { State: JobState.DataAvailable or JobState.Error } => (WaitingJobAction.AlreadyEnded, job.State),
        // A graph run (its status's cmd is "workflow") is controlled as a run; a cancel refuses a waiting job only for
        // being a graph node.
        { Cmd: "workflow" } => (WaitingJobAction.GraphPart, job.State),
        { State: JobState.Start or JobState.Standby } when cancel => (WaitingJobAction.GraphPart, job.State),
        _ => (WaitingJobAction.NotWaiting, job.State),
    };

    public async Task<StopOutcome> RequestStopAsync(JobRef job) =>
        (int)await Db.EvaluateAsync(LuaScripts.JobStop, [keys.Status(job)], [keys.StopChannel.ToString(), job.Member]) switch
        {
            1 => StopOutcome.Requested,
            2 => StopOutcome.AlreadyEnded,
            _ => StopOutcome.NoSuchJob,
        };
}
