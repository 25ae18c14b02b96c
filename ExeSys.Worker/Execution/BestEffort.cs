namespace ExeSys.Worker.Execution;

/// <summary>Work that may fail without harm (a heartbeat, a renewal, an unsubscribe): the next tick or the lease covers it.</summary>
internal static class BestEffort
{
    public static async Task RunAsync(ILogger logger, WorkerIdentity worker, Func<Task> action, string what)
    {
        try
        {
            await action();
        }
#pragma warning disable CA1031 // Periodic work survives any single failure; the next tick tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogWarning("Worker {Worker} could not {What}: {Error}", worker.Id, what, ex.Message);
        }
    }
}
