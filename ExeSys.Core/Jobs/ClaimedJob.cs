namespace ExeSys.Core.Jobs;

/// <summary>
/// A job a worker has claimed. <see cref="Attempt"/> is the fencing token: completing or failing with a stale
/// attempt number is refused, so a worker that lost its lease cannot overwrite the real result.
/// </summary>
/// <param name="InputsJson">A JSON object: the results of the job's workflow predecessors by name (<c>{}</c> for a single job).</param>
/// <param name="NextJson">A graph node's outgoing edges (JSON array), or empty.</param>
/// <param name="TimeoutMs">The per-node timeout, 0 when none was set.</param>
/// <param name="DeferredUntilMs">When the function deferred itself, the time it asked for (Unix ms), else 0.</param>
/// <param name="StopRequested">A stop was requested before this claim (a runner then ends at once).</param>
/// <param name="BackoffMs">The per-node retry backoff base, 0 when none was set.</param>
public sealed record ClaimedJob(JobRef Job, int Attempt, string To, string Cmd, string DataJson, string InputsJson = "{}", string NextJson = "", int TimeoutMs = 0, int BackoffMs = 0, long DeferredUntilMs = 0, bool StopRequested = false)
{
    /// <summary>The queue it was claimed, handed off or started from: its lease is in that queue's slot.</summary>
    public string Queue { get; init; } = Redis.QueueKeys.DefaultName;

    /// <summary>The submit's W3C trace context (<c>traceparent</c>), a graph node's its run's; empty when none was stored.</summary>
    public string TraceParent { get; init; } = "";

    /// <summary>When the claim started it (Redis's clock, Unix ms).</summary>
    public long StartedMs { get; init; }

    /// <summary>When the job was submitted (Unix ms), 0 when unknown.</summary>
    public long CreatedMs { get; init; }

    /// <summary>Since when it could start (Unix ms): its submit, its promotion, or its retry's or deferral's due time; 0 when unknown.</summary>
    public long ReadyMs { get; init; }

    /// <summary>Its max attempts: a failed attempt with a retry time is retried while <see cref="Attempt"/> is below it.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>A workflow node or step that its predecessor's end released (its wait is step overhead).</summary>
    public bool IsStep { get; init; }
}
