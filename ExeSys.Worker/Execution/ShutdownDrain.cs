using ExeSys.Core.Storage;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// Graceful shutdown, once claims have stopped: running jobs get <see cref="WorkerOptions.ShutdownGrace"/> to finish,
/// then their functions are cancelled; what is still unrecorded goes back to the queue at once (fenced by attempt),
/// rather than wait for its lease to expire.
/// </summary>
public sealed class ShutdownDrain(RunningJobs running, IWorkerConnection store, WorkerIdentity worker, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger)
{
    /// <summary>How long cancelled functions get to return before their jobs are given back anyway.</summary>
    private static readonly TimeSpan CancelledGrace = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public async Task DrainAsync()
    {
        await WaitForIdleAsync(time.GetUtcNow() + options.Value.ShutdownGrace);
        await running.CutOffAsync();
        await WaitForIdleAsync(time.GetUtcNow() + CancelledGrace);

        var left = running.Unrecorded;
        if (left.Count > 0)
        {
            logger.LogWarning("Shutting down: giving {Count} unfinished job(s) back to the queue.", left.Count);
            await BestEffort.RunAsync(logger, worker, () => store.ReleaseAsync(left), "release unfinished jobs");
        }
    }

    private async Task WaitForIdleAsync(DateTimeOffset deadline)
    {
        while (running.Count > 0 && time.GetUtcNow() < deadline)
        {
            await Task.Delay(Poll, time);
        }
    }
}
