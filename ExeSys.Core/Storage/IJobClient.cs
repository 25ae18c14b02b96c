using ExeSys.Core.Jobs;

namespace ExeSys.Core.Storage;

/// <summary>What a stop request found.</summary>
public enum StopOutcome
{
    NoSuchJob,
    Requested,
    AlreadyEnded,
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
}
