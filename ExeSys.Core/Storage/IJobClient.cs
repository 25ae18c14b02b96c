using ExeSys.Core.Jobs;

namespace ExeSys.Core.Storage;

/// <summary>What a stop request found.</summary>
public enum StopOutcome
{
    NoSuchJob,
    Requested,
    AlreadyEnded,
}

/// <summary>What an operator's action on a waiting job (cancel, run now) found.</summary>
public enum WaitingJobAction
{
    /// <summary>No such job (never submitted, past retention, or another tenant's).</summary>
    NoSuchJob,

    /// <summary>Done: the job was cancelled (state 4), or made due now.</summary>
    Applied,

    /// <summary>The job had already ended (state 3 or 4): harmless, nothing changed.</summary>
    AlreadyEnded,

    /// <summary>The job does not wait in a way the action applies to: it runs, or (run now) it waits in its queue or for its chain.</summary>
    NotWaiting,

    /// <summary>A node of a graph run, or the run itself: its run is cancelled as a whole (POST /workflows/{from}/{job_id}/cancel).</summary>
    GraphPart,
}

/// <summary>
/// The client side of job storage, for the API (and for functions that act as clients, such as <c>stop_runner</c>):
/// submit, read and stop jobs. Each verb is one atomic Lua script in the job's slot, plus the queue's step where the
/// job must be enqueued; callers never build Redis keys.
/// </summary>
public interface IJobClient
{
    /// <summary>
    /// Writes a new job (state 0, or 1 for a workflow step whose predecessor has not finished) and enqueues it, or
    /// returns the existing job unchanged. On a single Redis, a new single job that finds a worker waiting idle is
    /// started for that worker at once (state 2, attempt 1) and announced to it (<see cref="WorkerNotification.Started"/>).
    /// </summary>
    /// <param name="watch">Ask for a completion notification (long-poll, <see cref="IJobNotifications.SubscribeFinishedAsync"/>).</param>
    Task<SubmitOutcome> SubmitAsync(JobCommand command, bool watch);

    /// <summary>
    /// <see cref="SubmitAsync"/> for many jobs at once, with the same outcome per job: the jobs' scripts are sent
    /// together (one round trip), then the new ones are enqueued in one call. The outcomes are in command order.
    /// </summary>
    Task<IReadOnlyList<SubmitOutcome>> SubmitManyAsync(IReadOnlyList<JobCommand> commands, bool watch);

    /// <summary>Reads one job, or null when there is none (never submitted, or past retention).</summary>
    Task<JobSnapshot?> GetAsync(JobRef job, bool watch);

    /// <summary>Asks a runner to stop: its flag is kept in the job and announced to workers.</summary>
    Task<StopOutcome> RequestStopAsync(JobRef job);

    /// <summary>
    /// Ends a job that waits (state 0 in its queue, or 1: a retry's backoff, a delay, an event, its chain's predecessor)
    /// in state 4 with <paramref name="reason"/> as its error, as a last failed attempt would: a long-poll is told and
    /// the rest of its step chain fails. A running job, a graph node or a run is left unchanged.
    /// </summary>
    /// <returns>What it found, and the job's state after (null when there is no job).</returns>
    Task<(WaitingJobAction Outcome, JobState? State)> CancelWaitingAsync(JobRef job, string reason);

    /// <summary>
    /// Makes a job that waits for a time (a retry's backoff, a delay, a wait's next look) due now, and wakes it onto its
    /// function's lane, where the next free worker that offers it starts it.
    /// </summary>
    Task<(WaitingJobAction Outcome, JobState? State)> RunNowAsync(JobRef job);
}
