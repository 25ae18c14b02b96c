namespace ExeSys.Core.Jobs;

/// <summary>
/// The few verbs the API, the workers and the controller use on live job state. Each verb is one atomic Lua
/// script per Redis hash slot; callers never build Redis keys.
/// </summary>
public enum StopOutcome
{
    NoSuchJob,
    Requested,
    AlreadyEnded,
}

public interface IJobStore
{
    /// <summary>
    /// Writes a new job (state 0, or 1 for a workflow step whose predecessor has not finished) and enqueues it, or
    /// returns the existing job unchanged. On a single Redis, a new single job that finds a worker waiting idle is
    /// started for that worker at once (state 2, attempt 1) and sent on its own channel (<see cref="Redis.RedisKeys.WorkerChannel"/>).
    /// </summary>
    /// <param name="watch">Ask for a completion notification (long-poll).</param>
    Task<SubmitOutcome> SubmitAsync(JobCommand command, bool watch);

    /// <summary>
    /// <see cref="SubmitAsync"/> for many jobs at once, with the same outcome per job: the jobs' scripts are sent
    /// together (one round trip), then the new ones are enqueued in one call. The outcomes are in command order.
    /// </summary>
    Task<IReadOnlyList<SubmitOutcome>> SubmitManyAsync(IReadOnlyList<JobCommand> commands, bool watch);

    /// <summary>Reads one job, or null when there is none (never submitted, or past retention).</summary>
    Task<JobSnapshot?> GetAsync(JobRef job, bool watch);

    /// <summary>Takes up to <paramref name="max"/> jobs off the queue, highest priority first, and moves each to state 2 under a lease.</summary>
    Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int max);

    /// <summary>
    /// <see cref="ClaimAsync"/>, also saying whether the queue was left empty (fewer than <paramref name="max"/> were
    /// on it), so a worker need not ask again until the queue announces new jobs.
    /// </summary>
    /// <param name="handoffWait">For a worker that runs nothing: when the claim empties the queue, the worker waits
    /// this long for a handoff (the next enqueued job, leased to it by the enqueue; see <see cref="StartHandedOffAsync"/>).
    /// Zero for a busy worker, which ends any such wait.</param>
    Task<ClaimBatch> ClaimBatchAsync(string workerId, int max, TimeSpan handoffWait = default);

    /// <summary>
    /// Moves a job the queue handed straight to this worker (already leased to it) to state 2, as a claim does. Empty
    /// when the job is no longer waiting.
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> StartHandedOffAsync(string workerId, JobRef job);

    /// <summary>An idle worker waits <paramref name="wait"/> for a handoff; <see cref="TimeSpan.Zero"/> ends the wait.</summary>
    Task WaitForHandoffAsync(string workerId, TimeSpan wait);

    /// <summary>
    /// Records the EOJ (state 3) and advances the job's workflow: <paramref name="takenEdges"/> names the graph
    /// successors whose edge condition held. False when the claim was no longer valid and the result was refused.
    /// </summary>
    Task<bool> CompleteAsync(ClaimedJob job, string resultJson, IReadOnlyList<string> takenEdges);

    /// <summary>
    /// Records a failed attempt. With <paramref name="retryAt"/> and attempts left, the job waits in state 1 for
    /// another attempt; otherwise it ends in state 4. False when the claim was no longer valid.
    /// </summary>
    Task<bool> FailAsync(ClaimedJob job, string message, DateTimeOffset? retryAt);

    /// <summary>Puts a running job back in standby until <paramref name="until"/>, not counting the attempt (a function asked to be run later).</summary>
    Task<bool> DeferAsync(ClaimedJob job, DateTimeOffset until);

    /// <summary>Stores a running job's latest intermediate result. False when the claim is stale.</summary>
    Task<bool> PublishProgressAsync(ClaimedJob job, string progressJson);

    /// <summary>Asks a runner to stop: its flag is kept in the job and announced to workers.</summary>
    Task<StopOutcome> RequestStopAsync(JobRef job);

    /// <summary>Which of these running jobs have a stop (runners) or a cancellation (cancelled workflow) requested.</summary>
    Task<(IReadOnlyList<JobRef> Stop, IReadOnlyList<JobRef> Cancel)> GetSignalsAsync(IReadOnlyCollection<JobRef> jobs);

    /// <summary>Extends the leases of jobs a live worker is running.</summary>
    Task RenewLeasesAsync(IReadOnlyCollection<JobRef> jobs);

    /// <summary>Puts claimed jobs back on the queue at once, e.g. on graceful shutdown. Fenced by attempt.</summary>
    Task ReleaseAsync(IReadOnlyCollection<ClaimedJob> jobs);

    /// <summary>Requeues up to <paramref name="max"/> jobs whose lease expired (dead or frozen worker). Returns how many it handled.</summary>
    Task<int> RecoverExpiredLeasesAsync(int max);

    /// <summary>Moves up to <paramref name="max"/> jobs whose retry time has come back to the queue. Returns how many.</summary>
    Task<int> PromoteDueRetriesAsync(int max);
}

/// <summary>The jobs one claim took, and whether it emptied the queue.</summary>
public sealed record ClaimBatch(IReadOnlyList<ClaimedJob> Jobs, bool QueueDrained);
