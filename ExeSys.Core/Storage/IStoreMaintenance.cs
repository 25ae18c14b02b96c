namespace ExeSys.Core.Storage;

/// <summary>
/// The controller's time-based work on job storage. Every verb handles a bounded batch in atomic, idempotent
/// scripts, so any number of controllers may run it at once.
/// </summary>
public interface IStoreMaintenance
{
    /// <summary>Requeues up to <paramref name="max"/> jobs whose lease expired (dead or frozen worker). Returns how many it handled.</summary>
    Task<int> RecoverExpiredLeasesAsync(int max);

    /// <summary>Moves up to <paramref name="max"/> jobs whose retry time has come back to the queue. Returns how many.</summary>
    Task<int> PromoteDueRetriesAsync(int max);

    /// <summary>
    /// Ends in state 4 up to <paramref name="max"/> jobs per lane that waited longer than their function's unserved
    /// timeout while no live worker offered the function in their queue. Returns how many.
    /// </summary>
    Task<int> FailUnservedAsync(int max);
}
