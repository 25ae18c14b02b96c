using ExeSys.Core.Jobs;

namespace ExeSys.Core.Latches;

/// <summary>
/// Latches for the built-ins <c>wait_acquire</c>, <c>wait_release</c> and <c>wait_countdown</c>, as littleflow has them:
/// a named countdown, global to this ExeSys (every client and workflow shares one latch of a name). Its count is its
/// number of holders: acquiring adds a holder, releasing removes it, so the same holder acquiring twice (a retried job,
/// a re-sent command) counts once, and releasing a holder that is not there changes nothing. A hold lapses after its
/// hold time, so a holder that never releases (its run was cancelled) cannot keep a latch up for ever.
/// </summary>
public interface ILatchStore
{
    /// <summary>Adds <paramref name="holder"/> to the latch (or renews its hold). Returns the count after it.</summary>
    Task<LatchAcquired> AcquireAsync(string name, string holder, TimeSpan hold);

    /// <summary>
    /// Removes <paramref name="holder"/> from the latch. When that leaves it at zero, every job waiting for it
    /// (<see cref="CountdownAsync"/>) is told, and woken if it is in standby.
    /// </summary>
    Task<LatchReleased> ReleaseAsync(string name, string holder);

    /// <summary>
    /// Called by <c>wait_countdown</c> each time it runs (a look): whether the latch is at zero, or was while the job
    /// waited; otherwise the job is registered as a waiter and told when to look again (it defers itself until then,
    /// and the release that brings the latch to zero wakes it sooner).
    /// </summary>
    Task<LatchLook> CountdownAsync(JobRef job, string name);

    /// <summary>
    /// The data of the graph run <paramref name="jobId"/> (what its start nodes get as <c>start_job</c>), as JSON, for a
    /// latch name's template in a node that is not a start node; null when there is no such run.
    /// </summary>
    Task<string?> RunDataAsync(string jobId);
}

/// <summary>The count after an acquire, and whether the holder was new (false: it held the latch already).</summary>
public sealed record LatchAcquired(long Count, bool Added);

/// <summary>The count after a release, whether the holder was there, and the waiting jobs the zero reached.</summary>
public sealed record LatchReleased(long Count, bool Removed, IReadOnlyList<JobRef> Woken);

/// <summary>One look of <c>wait_countdown</c>: <see cref="AtZero"/>, or the latch's count now and when to look again (Redis's clock).</summary>
public sealed record LatchLook(bool AtZero, long Count, DateTimeOffset LookAgainAt);
