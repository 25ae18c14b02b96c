using ExeSys.Core.Jobs;

namespace ExeSys.Core.Storage;

/// <summary>
/// A notification for one worker. Notifications are best effort (a reconnect may lose some); what they announce is
/// also kept in storage, where the worker's idle poll and lease renewal find it.
/// </summary>
public abstract record WorkerNotification
{
    private WorkerNotification()
    {
    }

    /// <summary>
    /// A lane of <see cref="Queue"/> went from empty to non-empty (the lane of <see cref="Function"/>; null: any, e.g.
    /// after a reconnect): a worker with a free slot that offers it should claim.
    /// </summary>
    public sealed record QueueFilled(string? Queue = null, string? Function = null) : WorkerNotification
    {
        public static QueueFilled Instance { get; } = new();
    }

    /// <summary>The queue leased <see cref="Job"/> to this worker, which waited idle; it starts it with <see cref="IWorkerConnection.StartHandedOffAsync"/>.</summary>
    public sealed record HandedOff(JobRef Job, string Queue = Redis.QueueKeys.DefaultName) : WorkerNotification;

    /// <summary>The worker's pub/sub connection dropped: it cannot hear handoffs, so it must stop waiting for them.</summary>
    public sealed record ConnectionLost : WorkerNotification
    {
        public static ConnectionLost Instance { get; } = new();
    }

    /// <summary>A submit found this worker idle and already started <see cref="Job"/> for it (state 2, attempt 1): it runs at once.</summary>
    public sealed record Started(ClaimedJob Job) : WorkerNotification;

    /// <summary>A stop was requested for a runner.</summary>
    public sealed record StopRequested(JobRef Job) : WorkerNotification;

    /// <summary>The workflow of a running job was cancelled.</summary>
    public sealed record CancelRequested(JobRef Job) : WorkerNotification;
}

/// <summary>A job a client watches has finished. <see cref="Snapshot"/> is the finished job when the notification carried it
/// (without its input data, which the waiting request already has), else null: read the job.</summary>
public sealed record JobFinished(JobRef Job, JobSnapshot? Snapshot);

/// <summary>
/// Storage's notifications as typed events, so no caller parses a wire format. Handlers run on the notification's own
/// thread-pool work item and must not block it for long.
/// </summary>
public interface IJobNotifications
{
    /// <summary>Listens for the notifications meant for <paramref name="workerId"/>, until the returned handle is disposed.</summary>
    Task<IAsyncDisposable> SubscribeWorkerAsync(string workerId, Action<WorkerNotification> handler, IReadOnlyList<string>? queues = null);

    /// <summary>Listens for watched jobs that finish (long-polls), until the returned handle is disposed.</summary>
    Task<IAsyncDisposable> SubscribeFinishedAsync(Action<JobFinished> handler);
}
