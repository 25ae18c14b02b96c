using ExeSys.Core.Jobs;

namespace ExeSys.Core.Redis;

/// <summary>What queue_requeue.lua does with one job; each value is the one-letter code the script reads.</summary>
public enum RequeueAction
{
    /// <summary>'r': leave inflight for the ready queue (a claim taken back).</summary>
    Ready = 'r',

    /// <summary>'s': leave inflight for the schedule, due at the score (a retry after its backoff).</summary>
    Schedule = 's',

    /// <summary>'d': leave inflight (the score is unused).</summary>
    Drop = 'd',

    /// <summary>'a': leave inflight for the archive backlog: an ended job whose ack was lost (history on only).</summary>
    Archive = 'a',

    /// <summary>
    /// 'e': enqueue only: a workflow successor, which keeps any inflight entry it has, since that may be the lease of a
    /// worker that just claimed it.
    /// </summary>
    Enqueue = 'e',

    /// <summary>'w': leave the schedule for the ready queue: a waiting job woken early (an event reached it, <see cref="RedisEventStore"/>).</summary>
    Wake = 'w',
}

/// <summary>
/// One job for <see cref="RedisQueueSlot.RequeueAsync"/>: the action and its score (a queue score, or a due time in
/// Unix ms), the queue whose keys it concerns, and the job's function (its lane; "" where the action needs none).
/// </summary>
public readonly record struct Requeue(RequeueAction Action, long Score, JobRef Job, string Queue, string Function = "")
{
    /// <summary>The code queue_requeue.lua reads.</summary>
    internal string Code => ((char)Action).ToString();
}
