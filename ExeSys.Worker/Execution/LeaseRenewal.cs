using ExeSys.Core.Configuration;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>
/// Keeps the leases of running jobs alive, three times per <see cref="JobOptions.LeaseDuration"/>: a worker that stops
/// renewing (dead or frozen) loses its jobs to the controller, which puts them back on the queue. A renewal never
/// revives a lease that has expired: Redis answers which leases were lost, and their functions are cancelled at once
/// (<see cref="RunningJob.MarkLost"/>). Each lease that was renewed lasts, for this worker, one lease from when the
/// renewal was sent; past that without a renewal that succeeded, the worker treats it as lost all the same. Each tick
/// also reads the stop and cancel flags of running jobs, the safety net for notifications lost on a reconnect.
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
                await BestEffort.RunAsync(logger, worker, RenewAsync, "renew leases");
                await BestEffort.RunAsync(logger, worker, ApplyMissedSignalsAsync, "check stop and cancel flags");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One renewal of every lease this worker holds.</summary>
    internal async Task RenewAsync()
    {
        var leased = running.Leased;
        if (leased.Count == 0)
        {
            return;
        }

        // Sent now, so Redis extends each lease to a lease from a moment after this: this worker's deadline is never later.
        var sentAt = time.GetTimestamp();
        // One call per queue: each queue's leases are in its own slot.
        var lost = (await Task.WhenAll(leased.GroupBy(r => r.Claim.Queue, StringComparer.Ordinal)
            .Select(g => store.RenewLeasesAsync([.. g.Select(r => r.Job)], g.Key)))).SelectMany(l => l).ToHashSet();
        foreach (var job in leased)
        {
            if (lost.Contains(job.Job))
            {
                job.MarkLost("Redis says its lease expired or was taken back");
            }
            else
            {
                job.Renewed(sentAt);
            }
        }
    }

    private async Task ApplyMissedSignalsAsync()
    {
        var jobs = running.Leased;
        if (jobs.Count == 0)
        {
            return;
        }

        var flags = await store.GetSignalsAsync([.. jobs.Select(r => r.Job)]);
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
