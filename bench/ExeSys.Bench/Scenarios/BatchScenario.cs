using System.Text;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// Throughput through <c>POST /sys_cmd/batch?wait=5s</c>: --batch-size no-op jobs per request, --batch-concurrency
/// requests in flight, each answered once all its jobs have their results. Reported apart from the single submits:
/// the per-job guarantees are the same, the HTTP cost is shared by the batch.
/// </summary>
internal sealed class BatchScenario : IScenario
{
    public string Name => "batch";

    public string Description => "echo with tiny data through POST /sys_cmd/batch, --batch-size jobs per request, --batch-concurrency requests in flight";

    public string? Unavailable => null;

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var warmupPrefix = context.JobIdPrefix(Name, repetition, "warmup");
        var measuredPrefix = context.JobIdPrefix(Name, repetition, "measured");
        var warmup = await RunAsync(context, warmupPrefix, Batches(options.Warmup, options.BatchSize), cancellationToken);

        var before = await context.Meter.ReadAsync();
        var batches = Batches(options.Jobs, options.BatchSize);
        var run = await RunAsync(context, measuredPrefix, batches, cancellationToken);
        var after = await context.Meter.ReadAsync();

        var jobs = batches * options.BatchSize;
        var failedJobs = run.Failed * options.BatchSize;
        var figures = new Figures
        {
            ["jobs"] = jobs,
            ["failed"] = failedJobs,
            ["batch_size"] = options.BatchSize,
            ["batches"] = batches,
            ["seconds"] = run.Elapsed.TotalSeconds,
            ["throughput_jobs_per_s"] = (jobs - failedJobs) / run.Elapsed.TotalSeconds,
        };
        Percentiles.Summarize(figures, "batch_latency", run.LatenciesMs);
        context.Meter.AddCosts(before, after, jobs, figures);

        await context.DeleteJobsAsync(DoneJobIds(warmupPrefix, warmup, options.BatchSize).Concat(DoneJobIds(measuredPrefix, run, options.BatchSize)));
        return [new ScenarioRow(Name, figures, [.. warmup.Errors, .. run.Errors])];
    }

    public async Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var prefix = context.JobIdPrefix(Name, 0, "roundtrips");
        var batches = Batches(Math.Min(options.AccountingJobs, options.Jobs), options.BatchSize);
        await using var monitor = await context.StartMonitorAsync();
        var run = await RunAsync(context, prefix, batches, cancellationToken);
        await monitor.StopAsync();

        var figures = new Figures { ["round_trip_pass_jobs"] = batches * options.BatchSize };
        monitor.AddFigures(figures, batches * options.BatchSize);
        await context.DeleteJobsAsync(DoneJobIds(prefix, run, options.BatchSize));
        return figures;
    }

    private static int Batches(int jobs, int batchSize) => Math.Max(1, (jobs + batchSize - 1) / batchSize);

    /// <summary>The job ids of the batches that came back with every job done (a unit of the load is one batch).</summary>
    private static IEnumerable<string> DoneJobIds(string prefix, LoadResult result, int batchSize) =>
        Enumerable.Range(0, result.Jobs).Where(b => result.Done[b]).SelectMany(b => BatchJobIds(prefix, b, batchSize));

    private static IEnumerable<string> BatchJobIds(string prefix, int batch, int size) =>
        Enumerable.Range(0, size).Select(j => LoadRunner.JobId(prefix, (batch * size) + j));

    /// <summary>Each unit of the closed loop is one batch request; its latency is the whole batch's.</summary>
    private static Task<LoadResult> RunAsync(BenchContext context, string prefix, int batches, CancellationToken cancellationToken) =>
        LoadRunner.RunConcurrentAsync(batches, context.Options.BatchConcurrency, b =>
        {
            var ids = BatchJobIds(prefix, b, context.Options.BatchSize).ToList();
            var body = Encoding.UTF8.GetBytes("[" + string.Join(",", ids.Select(id => Encoding.UTF8.GetString(JobClient.EchoBody(id, ScenarioCatalog.TinyData)))) + "]");
            return ct => context.Client.SubmitBatchAndWaitAsync(ids, body, ScenarioCatalog.TinyData, ct);
        }, cancellationToken);
}
