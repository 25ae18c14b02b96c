using System.Diagnostics;
using System.Diagnostics.Metrics;
using ExeSys.Core.Jobs;
using ExeSys.Core.Observability.Metrics;
using ExeSys.Worker.Execution;
using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Observability;

/// <summary>
/// The worker's measurements: each attempt's start (queue wait, step overhead) and end (run time, outcome, end to
/// end), from what the claim already returned (job_start.lua reads the times in its one HMGET: no Redis command more),
/// and the gauges of its slots and runners, read from memory when an exporter collects.
/// </summary>
public sealed class WorkerMetrics
{
    private readonly ExeSysMetrics _metrics;

    public WorkerMetrics(ExeSysMetrics metrics, IServiceProvider services, IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        _metrics = metrics;
        var concurrency = options.Value.Concurrency;
        // Resolved when first observed: RunningJobs depends on the executor, which records here.
        var running = new Lazy<RunningJobs>(services.GetRequiredService<RunningJobs>);
        var signals = new Lazy<WorkerSignals>(services.GetRequiredService<WorkerSignals>);
        metrics.Meter.CreateObservableGauge("exesys.worker.slots.busy", () => running.Value.Count, "{slot}", "Jobs this worker runs now (of ExeSys:Worker:Concurrency).");
        metrics.Meter.CreateObservableGauge("exesys.worker.slots.free", () => Math.Max(0, concurrency - running.Value.Count), "{slot}", "Free places for jobs on this worker.");
        metrics.Meter.CreateObservableGauge("exesys.worker.runners", () => signals.Value.RunnerCount, "{runner}", "Forever runners this worker holds.");
    }

    /// <summary>Counts the attempt's start; returns the timestamp its run time is measured from.</summary>
    public long Started(ClaimedJob job)
    {
        var wait = Seconds(job.StartedMs - job.ReadyMs, job.ReadyMs);
        _metrics.JobStarted(job.Cmd, job.Queue, wait, job.IsStep ? wait : null);
        return Stopwatch.GetTimestamp();
    }

    public void Finished(ClaimedJob job, string outcome, long startedAt)
    {
        var run = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        double? total = outcome is JobOutcomes.Ok or JobOutcomes.Failed && job.CreatedMs > 0
            ? Seconds(job.StartedMs - job.CreatedMs, job.CreatedMs) + run
            : null;
        _metrics.JobFinished(job.Cmd, job.Queue, outcome, run, total);
    }

    public void ModuleLoadFailed() => _metrics.ModuleLoadFailed();

    /// <summary>Milliseconds on Redis's clock as seconds; never negative (clocks of different Redis calls), 0 when the start time is unknown.</summary>
    private static double Seconds(long ms, long since) => since > 0 && ms > 0 ? ms / 1000.0 : 0;
}
