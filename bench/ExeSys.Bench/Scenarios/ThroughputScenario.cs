using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// End-to-end throughput: --concurrency requests always in flight, each <c>POST /sys_cmd?wait=5s</c>, whose reply
/// carries the result. Jobs per second run from the first submit to the last result.
/// </summary>
/// <param name="keys">With a number: every job is a limited job, carrying one of that many concurrency keys with a limit
/// it never reaches, so the figures are the cost of a limited job (its checks in the claim, its slot, its ack script).</param>
internal sealed class ThroughputScenario(string name, string description, string dataJson, int? keys = null) : IScenario
{
    public string Name => name;

    public string Description => description;

    public string? Unavailable => null;

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var warmupPrefix = context.JobIdPrefix(name, repetition, "warmup");
        var measuredPrefix = context.JobIdPrefix(name, repetition, "measured");
        var warmup = await LoadRunner.RunConcurrentAsync(context.Client, warmupPrefix, Math.Max(options.Warmup, 1), dataJson, options.Concurrency, cancellationToken, keys);

        var before = await context.Meter.ReadAsync();
        var run = await LoadRunner.RunConcurrentAsync(context.Client, measuredPrefix, options.Jobs, dataJson, options.Concurrency, cancellationToken, keys);
        var after = await context.Meter.ReadAsync();

        var figures = new Figures
        {
            ["jobs"] = run.Jobs,
            ["failed"] = run.Failed,
            ["seconds"] = run.Elapsed.TotalSeconds,
            ["throughput_jobs_per_s"] = (run.Jobs - run.Failed) / run.Elapsed.TotalSeconds,
        };
        Percentiles.Summarize(figures, "load_latency", run.LatenciesMs);
        context.Meter.AddCosts(before, after, run.Jobs, figures);

        await context.DeleteJobsAsync(warmup.DoneJobIds(warmupPrefix).Concat(run.DoneJobIds(measuredPrefix)));
        return [new ScenarioRow(name, figures, [.. warmup.Errors, .. run.Errors])];
    }

    public async Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var prefix = context.JobIdPrefix(name, 0, "roundtrips");
        var jobs = Math.Min(options.AccountingJobs, options.Jobs);
        await using var monitor = await context.StartMonitorAsync();
        var run = await LoadRunner.RunConcurrentAsync(context.Client, prefix, jobs, dataJson, options.Concurrency, cancellationToken, keys);
        await monitor.StopAsync();

        var figures = new Figures { ["round_trip_pass_jobs"] = jobs };
        monitor.AddFigures(figures, jobs);
        await context.DeleteJobsAsync(run.DoneJobIds(prefix));
        return figures;
    }
}
