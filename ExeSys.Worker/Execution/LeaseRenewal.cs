using ExeSys.Core.Configuration;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// Keeps the leases of running jobs alive, three times per <see cref="JobOptions.LeaseDuration"/>: a worker that stops
/// renewing (dead or frozen) loses its jobs to the controller, which puts them back on the queue. Each tick also reads
/// the stop and cancel flags of running jobs, the safety net for notifications lost on a reconnect.
/// </summary>
public sealed class LeaseRenewal(
    IWorkerConnection store, RunningJobs running, WorkerSignals signals, WorkerIdentity worker, IOptions<JobOptions> options, TimeProvider time, ILogger<LeaseRenewal> logger)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LeaseDuration / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await BestEffort.RunAsync(logger, worker, () => store.RenewLeasesAsync(running.Leased), "renew leases");
                await BestEffort.RunAsync(logger, worker, ApplyMissedSignalsAsync, "check stop and cancel flags");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ApplyMissedSignalsAsync()
    {
        var jobs = running.Leased;
        if (jobs.Count == 0)
        {
            return;
        }

        var flags = await store.GetSignalsAsync(jobs);
        foreach (var job in flags.Stop)
        {
            signals.Stop(job);
        }

        foreach (var job in flags.Cancel)
        {
            signals.Cancel(job);
        }
    }
}
