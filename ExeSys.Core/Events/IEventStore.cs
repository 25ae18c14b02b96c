using ExeSys.Core.Jobs;

namespace ExeSys.Core.Events;

/// <summary>
/// Events for the built-in <c>wait_event</c>: a job waits for an event by name, optionally with a condition on its data
/// (the shape of a workflow edge's <c>when</c>); a client posts events through the API. An event posted after the
/// waiting job was created reaches it, even if the job had not started waiting yet, as long as the event is retained
/// (<c>ExeSys:Jobs:EventRetention</c>).
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Called by <c>wait_event</c> each time it runs. Returns the event that reached the job, or null after registering
    /// the job as a waiter (the job then defers itself, and a matching post wakes it).
    /// </summary>
    /// <param name="whenJson">A condition on the event's data, or null for any event of the name.</param>
    Task<PostedEvent?> AwaitAsync(JobRef job, string name, string? whenJson);

    /// <summary>Posts an event: every waiting job whose condition holds receives it. Returns those jobs.</summary>
    Task<IReadOnlyList<JobRef>> PostAsync(string name, string dataJson);
}

/// <summary>An event as a waiting job receives it: its <c>{"event", "data", "posted_at", "id"}</c> JSON.</summary>
public sealed record PostedEvent(string Json);
