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
    /// Called by <c>wait_event</c> each time it runs (a look). Returns the event that reached the job; or that its
    /// timeout has passed (the job is then no longer a waiter); or, after registering the job as a waiter, when to
    /// look again: the job defers itself until then, and a matching post wakes it sooner.
    /// </summary>
    /// <param name="whenJson">A condition on the event's data, or null for any event of the name.</param>
    /// <param name="timeoutMs">How long the job waits at most, counted from its first look; null: as long as it takes.</param>
    Task<EventLook> AwaitAsync(JobRef job, string name, string? whenJson, long? timeoutMs);

    /// <summary>Posts an event: every waiting job whose condition holds receives it. Returns those jobs.</summary>
    Task<IReadOnlyList<JobRef>> PostAsync(string name, string dataJson);
}

/// <summary>An event as a waiting job receives it: its <c>{"event", "data", "posted_at", "id"}</c> JSON.</summary>
public sealed record PostedEvent(string Json);

/// <summary>
/// What one look of <c>wait_event</c> found: the <see cref="Event"/> that reached the job; or none and
/// <see cref="TimedOut"/>; or none, and the job waits until <see cref="LookAgainAt"/> (on Redis's clock).
/// </summary>
public sealed record EventLook(PostedEvent? Event, bool TimedOut, DateTimeOffset LookAgainAt);
