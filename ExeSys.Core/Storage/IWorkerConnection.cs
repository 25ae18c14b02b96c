using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;

namespace ExeSys.Core.Storage;

/// <summary>The jobs one claim took, and whether it emptied the queue.</summary>
/// <param name="LanesParkedUntil">The claim parked a lane of limited jobs at its limit (a full rate window, or slots
/// held): from then it may start more. The worker claims again then, which puts the lane back on the queue.</param>
public sealed record ClaimBatch(IReadOnlyList<ClaimedJob> Jobs, bool QueueDrained, DateTimeOffset? LanesParkedUntil = null);

/// <summary>Which of a worker's running jobs have a stop (runners) or a cancellation (cancelled workflow) requested.</summary>
public sealed record JobSignals(IReadOnlyList<JobRef> Stop, IReadOnlyList<JobRef> Cancel);

/// <summary>
/// A worker's side of job storage, in the shape of Hangfire's <c>IStorageConnection</c>: claim, start, finish,
/// renew, release. A claimed job is leased to the worker; <see cref="ClaimedJob.Attempt"/> fences every verb after
/// the claim, so a worker that lost its lease cannot overwrite the outcome of the claim that replaced it.
/// </summary>
public interface IWorkerConnection
{
    /// <summary>
    /// Takes up to <paramref name="max"/> jobs off the queue, highest priority first, and moves each to state 2 under
    /// a lease. <see cref="ClaimBatch.QueueDrained"/> says whether the queue was left empty (fewer than
    /// <paramref name="max"/> were on it), so a worker need not ask again until the queue announces new jobs.
    /// </summary>
    /// <param name="handoffWait">For a worker that runs nothing: when the claim empties the queue, the worker waits
    /// this long for a handoff (the next enqueued job, leased to it by the enqueue; see <see cref="StartHandedOffAsync"/>).
    /// Zero for a busy worker, which ends any such wait.</param>
    /// <param name="offer">The functions the worker offers: only jobs of these are taken (one lane each in the queue).</param>
    /// <param name="queue">The queue to claim from (a worker serving several claims from each in its order).</param>
    Task<ClaimBatch> ClaimAsync(string workerId, WorkerOffer offer, string queue, int max, TimeSpan handoffWait = default);

    /// <summary>
    /// Moves a job the queue handed straight to this worker (<see cref="WorkerNotification.HandedOff"/>, already leased
    /// to it) to state 2, as a claim does. Empty when the job is no longer waiting.
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> StartHandedOffAsync(string workerId, string queue, JobRef job);

    /// <summary>
    /// An idle worker waits <paramref name="wait"/> for a handoff in <paramref name="queue"/>, in the idle set of its
    /// offer signature; <see cref="TimeSpan.Zero"/> ends the wait.
    /// </summary>
    Task WaitForHandoffAsync(string workerId, string queue, string signature, TimeSpan wait);

    /// <summary>
    /// Hands back a job this worker was given but cannot run (it does not offer the function: a module withdrawn
    /// between its advert and the claim). The job goes back onto its lane and the attempt it was started with is given
    /// back: it is not a failed attempt. The safety net for that race; routing makes it rare.
    /// </summary>
    Task ReturnUnrunAsync(ClaimedJob job);

    /// <summary>
    /// Records the EOJ (state 3) and advances the job's workflow: <paramref name="takenEdges"/> names the graph
    /// successors whose edge condition held. False when the claim was no longer valid and the result was refused.
    /// </summary>
    /// <param name="untilLost">Recording retries while Redis is away, slow or full (OOM), until this is cancelled: the
    /// worker cancels it when it learns the lease is lost, or when its shutdown grace is over.</param>
    Task<bool> CompleteAsync(ClaimedJob job, string resultJson, IReadOnlyList<string> takenEdges, CancellationToken untilLost = default);

    /// <summary>
    /// Records a failed attempt. With <paramref name="retryAt"/> and attempts left, the job waits in state 1 for
    /// another attempt; otherwise it ends in state 4. False when the claim was no longer valid.
    /// </summary>
    Task<bool> FailAsync(ClaimedJob job, string message, DateTimeOffset? retryAt, CancellationToken untilLost = default);

    /// <summary>Puts a running job back in standby until <paramref name="until"/>, not counting the attempt (a function asked to be run later).</summary>
    Task<bool> DeferAsync(ClaimedJob job, DateTimeOffset until, CancellationToken untilLost = default);

    /// <summary>Stores a running job's latest intermediate result. False when the claim is stale.</summary>
    Task<bool> PublishProgressAsync(ClaimedJob job, string progressJson);

    /// <summary>
    /// Extends the leases of jobs a live worker is running. Returns the jobs whose lease was lost: it expired (even if
    /// the controller has not taken it back yet, it is not revived) or is gone. Their worker must stop running them
    /// and record nothing for them.
    /// </summary>
    Task<IReadOnlyList<JobRef>> RenewLeasesAsync(IReadOnlyCollection<JobRef> jobs, string queue = Redis.QueueKeys.DefaultName);

    /// <summary>
    /// Puts claimed jobs back on the queue at once, e.g. on graceful shutdown. Fenced by attempt. Not a failed attempt:
    /// unlike a lease that expires, a release never counts towards the job's max attempts.
    /// </summary>
    Task ReleaseAsync(IReadOnlyCollection<ClaimedJob> jobs);

    /// <summary>
    /// Reads the stop and cancel flags of running jobs: the safety net for notifications lost on a reconnect, since
    /// the flags stay in the jobs themselves.
    /// </summary>
    Task<JobSignals> GetSignalsAsync(IReadOnlyCollection<JobRef> jobs);
}
