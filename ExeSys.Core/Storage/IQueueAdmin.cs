namespace ExeSys.Core.Storage;

/// <summary>One queue as <c>GET /queues</c> shows it.</summary>
/// <param name="Ready">Jobs waiting to start (over every function's lane).</param>
/// <param name="Inflight">Jobs leased to a worker (running, or started and not yet acked).</param>
/// <param name="Scheduled">Jobs waiting for a retry or a deferral.</param>
/// <param name="OldestWaitingMs">How long the oldest waiting job has waited, in ms (by queue score, so a high-priority
/// job counts as PriorityAging older); null when none waits.</param>
/// <param name="Functions">Waiting jobs per function.</param>
/// <param name="Workers">The live workers that serve the queue.</param>
/// <param name="Limits">The limits its claims enforce, as published in its slot (ExeSys:Limits): scope
/// (<c>q:&lt;queue&gt;</c>, <c>f:&lt;function&gt;</c>) → max concurrency, rate per period and period in ms (0 = none).</param>
public sealed record QueueState(
    string Name, long Ready, long Inflight, long Scheduled, long? OldestWaitingMs, bool Paused,
    IReadOnlyDictionary<string, long> Functions, IReadOnlyList<string> Workers,
    IReadOnlyDictionary<string, (int MaxConcurrency, int RatePerPeriod, long RatePeriodMs)>? Limits = null);

/// <summary>The operator's side of the queues: list them, pause and resume one.</summary>
public interface IQueueAdmin
{
    /// <summary>Every known queue: configured, served by a live worker, or advertised by one before.</summary>
    Task<IReadOnlyList<QueueState>> ListAsync();

    /// <summary>One queue, or null when it is not known.</summary>
    Task<QueueState?> GetAsync(string name);

    /// <summary>Pauses (true) or resumes (false) a known queue. Null when the queue is not known; else whether the state changed.</summary>
    Task<bool?> SetPausedAsync(string name, bool paused);
}
