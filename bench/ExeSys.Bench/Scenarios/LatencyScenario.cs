using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// Submit→result latency at a low fixed rate: one no-op job at a time, every 1/--rate s, each one call to
/// <c>POST /sys_cmd?wait=5s</c>. The system is idle between jobs, so every job takes the whole path: wake a worker,
/// claim, run, record, notify the waiting request.
/// </summary>
internal sealed class LatencyScenario : IScenario
{
    public string Name => "latency";

    public string Description => "one no-op job at a time at --rate jobs/s; submit→result percentiles";

    public string? Unavailable => null;

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var (figures, errors, doneJobIds) = await MeasureAsync(context, context.JobIdPrefix(Name, repetition, "seq"), cancellationToken);
        await context.DeleteJobsAsync(doneJobIds);
        return [new ScenarioRow(Name, figures, errors)];
    }

    public async Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var prefix = context.JobIdPrefix(Name, 0, "roundtrips");
        var jobs = Math.Min(context.Options.AccountingJobs, context.Options.Samples);
        await using var monitor = await context.StartMonitorAsync();
        var run = await LoadRunner.RunPacedAsync(context.Client, prefix, jobs, ScenarioCatalog.TinyData, context.Options.Rate, cancellationToken);
        await monitor.StopAsync();

        var figures = new Figures { ["round_trip_pass_jobs"] = jobs };
        monitor.AddFigures(figures, jobs);
        await context.DeleteJobsAsync(run.DoneJobIds(prefix));
        return figures;
    }

    /// <summary>A warm-up, then --samples timed jobs with the Redis and CPU cost of the timed part.</summary>
    /// <returns>The figures, the errors seen, and the ids of the finished jobs (the caller deletes them).</returns>
    internal static async Task<(Figures Figures, IReadOnlyList<string> Errors, IReadOnlyList<string> DoneJobIds)> MeasureAsync(
        BenchContext context, string prefix, CancellationToken cancellationToken)
    {
        var options = context.Options;

        // Whatever the load generator allocated before (a million retained-job writes, a throughput run) is collected
        // now, not in the middle of the timed jobs.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var warmup = await LoadRunner.RunPacedAsync(context.Client, prefix + "-w", options.LatencyWarmup, ScenarioCatalog.TinyData, options.Rate, cancellationToken);

        var before = await context.Meter.ReadAsync();
        var run = await LoadRunner.RunPacedAsync(context.Client, prefix + "-m", options.Samples, ScenarioCatalog.TinyData, options.Rate, cancellationToken);
        var after = await context.Meter.ReadAsync();

        var figures = new Figures
        {
            ["jobs"] = run.Jobs,
            ["failed"] = run.Failed,
            ["seconds"] = run.Elapsed.TotalSeconds,
            ["rate_jobs_per_s"] = run.Jobs / run.Elapsed.TotalSeconds,
        };
        Percentiles.Summarize(figures, "latency", run.LatenciesMs);
        // A few thousand small jobs move used_memory less than Redis's own buffers do; memory per job is measured
        // by the throughput and retained scenarios.
        context.Meter.AddCosts(before, after, run.Jobs, figures, includeMemory: false);
        return (figures, [.. warmup.Errors, .. run.Errors], [.. warmup.DoneJobIds(prefix + "-w"), .. run.DoneJobIds(prefix + "-m")]);
    }
}
