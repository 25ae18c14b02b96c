using System.Diagnostics;
using System.Globalization;

namespace ExeSys.Bench.Load;

/// <summary>What one batch of jobs did. Latencies are submit→result per job, in ms, in submission order.</summary>
internal sealed record LoadResult(int Jobs, TimeSpan Elapsed, double[] LatenciesMs, bool[] Done, IReadOnlyList<string> Errors)
{
    public int Failed => Done.Count(d => !d);

    public IEnumerable<string> DoneJobIds(string idPrefix) =>
        Enumerable.Range(0, Jobs).Where(i => Done[i]).Select(i => LoadRunner.JobId(idPrefix, i));
}

internal static class LoadRunner
{
    private const int MaxErrorsKept = 5;

    /// <summary>The concurrency_limit of the limited scenario's keys: the most allowed, so the limit itself never holds a job back.</summary>
    private const int LimitNeverReached = 10_000;

    public static string JobId(string idPrefix, int index) => string.Create(CultureInfo.InvariantCulture, $"{idPrefix}-{index}");

    /// <summary>
    /// Closed loop: <paramref name="concurrency"/> requests always in flight until all jobs are done. Elapsed runs from
    /// the first submit to the last result.
    /// </summary>
    /// <param name="keys">With a number, each job carries one of that many concurrency keys (<c>bench-&lt;i mod keys&gt;</c>)
    /// with a limit it never reaches: a limited job, whose every start goes through its limits' checks.</param>
    public static Task<LoadResult> RunConcurrentAsync(JobClient client, string idPrefix, int jobs, string dataJson, int concurrency, CancellationToken cancellationToken, int? keys = null) =>
        RunConcurrentAsync(jobs, concurrency, i => EchoJob(client, idPrefix, i, dataJson, keys), cancellationToken);

    /// <summary>
    /// The same closed loop for any unit of work (a job, a whole workflow run). <paramref name="prepare"/> builds unit
    /// i (its request body) outside the timed part and returns the call that is timed, which ends once the unit has
    /// its result.
    /// </summary>
    public static async Task<LoadResult> RunConcurrentAsync(int jobs, int concurrency, Func<int, Func<CancellationToken, Task<JobOutcome>>> prepare, CancellationToken cancellationToken)
    {
        var latencies = new double[jobs];
        var done = new bool[jobs];
        var errors = new List<string>();
        var next = -1;

        async Task LoopAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < jobs)
            {
                await RunOneAsync(i, prepare(i), latencies, done, errors, cancellationToken);
            }
        }

        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, jobs)).Select(_ => Task.Run(LoopAsync, cancellationToken)));
        return new LoadResult(jobs, Stopwatch.GetElapsedTime(started), latencies, done, errors);
    }

    /// <summary>
    /// Low fixed rate: one job at a time, started every 1/<paramref name="rate"/> s. A job that takes longer than
    /// that delays the next one rather than overlapping it, so the system never has two of these jobs at once.
    /// </summary>
    public static async Task<LoadResult> RunPacedAsync(JobClient client, string idPrefix, int jobs, string dataJson, double rate, CancellationToken cancellationToken)
    {
        var latencies = new double[jobs];
        var done = new bool[jobs];
        var errors = new List<string>();
        var interval = TimeSpan.FromSeconds(1 / rate);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < jobs; i++)
        {
            var wait = (interval * i) - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            await RunOneAsync(i, EchoJob(client, idPrefix, i, dataJson), latencies, done, errors, cancellationToken);
        }

        return new LoadResult(jobs, Stopwatch.GetElapsedTime(started), latencies, done, errors);
    }

    private static Func<CancellationToken, Task<JobOutcome>> EchoJob(JobClient client, string idPrefix, int i, string dataJson, int? keys = null)
    {
        var id = JobId(idPrefix, i);
        var body = keys is { } k
            ? JobClient.EchoBody(id, dataJson, string.Create(CultureInfo.InvariantCulture, $"bench-{i % k}"), LimitNeverReached)
            : JobClient.EchoBody(id, dataJson);
        return ct => client.SubmitAndWaitAsync(id, body, dataJson, ct);
    }

    private static async Task RunOneAsync(int i, Func<CancellationToken, Task<JobOutcome>> timed, double[] latencies, bool[] done, List<string> errors, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = await timed(cancellationToken);
        latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        done[i] = outcome.Done;
        if (outcome.Error is { } error)
        {
            lock (errors)
            {
                if (errors.Count < MaxErrorsKept)
                {
                    errors.Add(error);
                }
            }
        }
    }
}
