using System.Diagnostics;
using System.Globalization;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// Does latency grow with the finished jobs Redis holds? Measures the latency scenario with no bench jobs retained,
/// then writes --retained finished jobs (copies of a real one, see <see cref="RetainedJobs"/>), measures again,
/// and deletes them. Reports both, plus the Redis memory each retained job takes.
/// </summary>
internal sealed class RetainedScenario : IScenario
{
    public string Name => "retained";

    public string Description => "latency with --retained finished jobs in Redis, against none";

    public string? Unavailable => null;

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var retained = context.Options.Retained;
        var (empty, emptyErrors, emptyJobs) = await LatencyScenario.MeasureAsync(context, context.JobIdPrefix(Name, repetition, "empty"), cancellationToken);
        if (emptyJobs.Count == 0)
        {
            throw new InvalidOperationException($"No job finished in the retained scenario's first measurement: {string.Join("; ", emptyErrors)}");
        }

        var template = await RetainedJobs.ReadTemplateAsync(context.Redis, context.Keys, emptyJobs[^1]);
        // The ids are generated twice (to write, to delete) rather than kept: a million strings held by the load
        // generator during the timed part would be its own heap's business, not ExeSys's.
        var copies = RetainedJobs.JobIds(context.JobIdPrefix(Name, repetition, "copy"), retained);
        var before = await context.Meter.ReadAsync();
        var writing = Stopwatch.GetTimestamp();
        await RetainedJobs.WriteAsync(context.Redis, context.Keys, template, copies, cancellationToken);
        var written = Stopwatch.GetElapsedTime(writing);
        var after = await context.Meter.ReadAsync();

        try
        {
            await context.WaitForQuietAsync(cancellationToken);
            var (full, fullErrors, fullJobs) = await LatencyScenario.MeasureAsync(context, context.JobIdPrefix(Name, repetition, "full"), cancellationToken);
            full["retained_jobs"] = retained;
            full["prefill_seconds"] = written.TotalSeconds;
            if (retained > 0)
            {
                // The copies' memory, not the few timed jobs': a million jobs measure it far more precisely.
                full["redis_mem_bytes_per_job"] = (double)(after.Redis.UsedMemory - before.Redis.UsedMemory) / retained;
            }

            empty["retained_jobs"] = 0;
            await context.DeleteJobsAsync([.. emptyJobs, .. fullJobs]);
            return
            [
                new ScenarioRow($"{Name} +0", empty, emptyErrors),
                new ScenarioRow(string.Create(CultureInfo.InvariantCulture, $"{Name} +{retained:N0}"), full, fullErrors),
            ];
        }
        finally
        {
            await context.DeleteJobsAsync(copies);
        }
    }

    /// <summary>The path per job is the latency scenario's; its round trips are counted there.</summary>
    public Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken) => Task.FromResult<Figures?>(null);
}
