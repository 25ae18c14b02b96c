using System.Diagnostics;
using System.Globalization;
using System.Text;
using ExeSys.Bench.Load;
using ExeSys.Core.Jobs;
using StackExchange.Redis;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// Does Redis memory return to its baseline after a burst of events and waiters? --soak-waiters wait_event jobs, spread
/// over --soak-names event names, wait with a condition no post matches and a timeout (--soak-timeout-ms); meanwhile
/// --soak-posts events are posted to those names. Every waiter times out. Reports Redis's used_memory before, at its
/// peak (sampled every 100 ms) and after: once the jobs have ended, the bench has deleted their status hashes as every
/// scenario does (they are kept for ExeSys:Jobs:Retention, their own bound), the event keys have expired
/// (EventRetention; the bench's own processes run with 5 s), and 5 s more for Redis to shrink its hash tables.
/// Runs only when named: --scenario soak_events.
/// </summary>
internal sealed class EventSoakScenario : IScenario
{
    private static readonly TimeSpan Sample = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public string Name => "soak_events";

    public string Description => "events posted while wait_event jobs time out: Redis memory at baseline, peak and after";

    public string? Unavailable => null;

    public bool RunsOnlyWhenNamed => true;

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var options = context.Options;
        using var http = new HttpClient { BaseAddress = context.Target.Api, Timeout = TimeSpan.FromSeconds(30) };

        // A round a tenth the size first, so the baseline already holds what any first use leaves for good (the event
        // scripts in Redis's script cache, the connections' buffers), and only what the soak itself keeps counts.
        var warmup = await SoakAsync(context, http, context.JobIdPrefix(Name, repetition, "warm"),
            Math.Max(1, options.SoakWaiters / 10), options.SoakPosts / 10, cancellationToken);
        // Redis's slow log keeps the arguments of up to 128 commands over 10 ms, which a loaded machine produces during
        // the soak: Redis's memory, not ExeSys's keys, so it is emptied before each reading (and counted meanwhile).
        await context.Target.RedisServer.ExecuteAsync("SLOWLOG", "RESET");
        var baseline = await UsedMemoryAsync(context);
        var baselineParts = await MemoryPartsAsync(context);
        var before = await context.Meter.ReadAsync();
        var soak = await SoakAsync(context, http, context.JobIdPrefix(Name, repetition, "w"), options.SoakWaiters, options.SoakPosts, cancellationToken);
        var atOnce = await UsedMemoryAsync(context);
        // Redis shrinks its keyspace's hash tables in its cron, a little after the keys have gone.
        await Task.Delay(Settle, cancellationToken);
        var slowCommands = (long)await context.Target.RedisServer.ExecuteAsync("SLOWLOG", "LEN");
        await context.Target.RedisServer.ExecuteAsync("SLOWLOG", "RESET");
        var after = await context.Meter.ReadAsync();
        var afterParts = await MemoryPartsAsync(context);

        var figures = new Figures
        {
            ["jobs"] = options.SoakWaiters,
            ["failed"] = soak.Unfinished,
            ["soak_posts"] = options.SoakPosts,
            ["soak_posts_per_s"] = options.SoakPosts / soak.Posting.TotalSeconds,
            ["soak_seconds_to_all_timed_out"] = soak.ToAllEnded.TotalSeconds,
            ["soak_waiters_left"] = soak.WaitersLeft,
            ["soak_event_keys_left"] = soak.KeysLeft,
            ["redis_mem_baseline_bytes"] = baseline,
            ["redis_mem_peak_bytes"] = soak.Peak,
            ["redis_mem_after_bytes"] = after.Redis.UsedMemory,
            ["redis_mem_keys_gone_bytes"] = atOnce,
            ["redis_slowlog_entries_during_soak"] = slowCommands,
        };
        foreach (var (part, value) in baselineParts)
        {
            figures[$"redis_{part}_baseline"] = value;
            figures[$"redis_{part}_after"] = afterParts.GetValueOrDefault(part);
        }

        // Per waiter or post; the window also deletes the jobs, so no memory per job.
        context.Meter.AddCosts(before, after, options.SoakWaiters + options.SoakPosts, figures, includeMemory: false);
        await context.Log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  {Name}: {options.SoakWaiters:N0} waiters timed out, {options.SoakPosts:N0} posts ({figures["soak_posts_per_s"]:N0}/s); Redis used_memory {Mb(baseline)} MB at baseline, {Mb(soak.Peak)} MB at peak, {Mb(atOnce)} MB when the last event key had gone, {Mb(after.Redis.UsedMemory)} MB {Settle.TotalSeconds:0} s later, with the slow log emptied ({slowCommands} entries)"));
        await context.Log.WriteLineAsync("  " + string.Join(", ", baselineParts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:N0} -> {afterParts.GetValueOrDefault(p.Key):N0}"))));
        return [new ScenarioRow(Name, figures, [.. warmup.Errors, .. soak.Errors])];
    }

    private sealed record Soak(long Peak, TimeSpan Posting, TimeSpan ToAllEnded, long Unfinished, long WaitersLeft, long KeysLeft, IReadOnlyList<string> Errors);

    /// <summary>One round: the waiters, the posts, every waiter's end, the jobs deleted and the event keys expired.</summary>
    private static async Task<Soak> SoakAsync(BenchContext context, HttpClient http, string prefix, int waiters, int posts, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var names = Enumerable.Range(0, options.SoakNames).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}-ev{i}")).ToList();
        var jobIds = Enumerable.Range(0, waiters).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}")).ToList();
        var errors = new List<string>();
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peakTask = SamplePeakAsync(context, sampling.Token);
        var started = Stopwatch.GetTimestamp();

        await ForEachAsync(jobIds, options.Concurrency, async (id, i) =>
        {
            var body = $$"""{"from":"{{JobClient.From}}","to":"end_job","cmd":"wait_event","job_id":"{{id}}","data":{"event":"{{names[i % names.Count]}}","when":{"path":"n","equals":-1},"timeout_ms":{{options.SoakTimeoutMs}}} }""";
            await PostAsync(http, "/sys_cmd", body, errors, cancellationToken);
        }, cancellationToken);
        var posting = Stopwatch.GetTimestamp();
        await ForEachAsync(Enumerable.Range(0, posts).ToList(), options.Concurrency, async (n, _) =>
        {
            var body = string.Create(CultureInfo.InvariantCulture, $$"""{"event":"{{names[n % names.Count]}}","data":{"n":{{n}}} }""");
            await PostAsync(http, "/events", body, errors, cancellationToken);
        }, cancellationToken);
        var posted = Stopwatch.GetElapsedTime(posting);

        // Every waiter ends by its timeout (state 4), and its look removes it from its event's waiters.
        var db = context.Redis;
        var deadline = TimeSpan.FromMilliseconds(options.SoakTimeoutMs) + TimeSpan.FromSeconds(60);
        var unfinished = await WaitAsync(() => CountUnfinishedAsync(context, jobIds), deadline, cancellationToken);
        var waitersLeft = await SumAsync(names.Select(n => db.HashLengthAsync(context.Keys.EventWaiters(n))));
        var ended = Stopwatch.GetElapsedTime(started);
        await sampling.CancelAsync();
        var peak = Math.Max(await peakTask, await UsedMemoryAsync(context));

        await context.DeleteJobsAsync(jobIds);
        var eventKeys = names.SelectMany(n => new[] { context.Keys.EventWaiters(n), context.Keys.EventRecent(n) }).ToArray();
        var keysLeft = await WaitAsync(async () => await db.KeyExistsAsync(eventKeys), TimeSpan.FromSeconds(120), cancellationToken);
        if (unfinished > 0)
        {
            errors.Add($"{unfinished} of {jobIds.Count} waiters had not ended after their timeout");
        }

        if (waitersLeft > 0 || keysLeft > 0)
        {
            errors.Add($"{waitersLeft} waiters left in the waiters hashes once every job had ended; {keysLeft} event keys never expired");
        }

        return new Soak(peak, posted, ended, unfinished, waitersLeft, keysLeft, errors);
    }

    public Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken) => Task.FromResult<Figures?>(null);

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F2", CultureInfo.InvariantCulture);

    private static async Task<long> UsedMemoryAsync(BenchContext context) => (await context.Meter.ReadAsync()).Redis.UsedMemory;

    /// <summary>Where used_memory goes (INFO memory and clients), and the keys: to tell what a difference after the soak is.</summary>
    private static async Task<Dictionary<string, double>> MemoryPartsAsync(BenchContext context)
    {
        var server = context.Target.RedisServer;
        var parts = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["dbsize"] = await server.DatabaseSizeAsync(),
        };
        var wanted = new[] { "used_memory_overhead", "used_memory_dataset", "used_memory_scripts", "mem_clients_normal", "connected_clients" };
        foreach (var group in await server.InfoAsync("everything"))
        {
            foreach (var entry in group.Where(e => wanted.Contains(e.Key)))
            {
                parts[entry.Key] = double.Parse(entry.Value, CultureInfo.InvariantCulture);
            }
        }

        return parts;
    }

    private static async Task<long> SamplePeakAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var peak = 0L;
        try
        {
            while (true)
            {
                peak = Math.Max(peak, await UsedMemoryAsync(context));
                await Task.Delay(Sample, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return peak;
        }
    }

    internal static async Task PostAsync(HttpClient http, string path, string json, List<string> errors, CancellationToken cancellationToken)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            lock (errors)
            {
                if (errors.Count < 5)
                {
                    errors.Add($"POST {path}: {(int)response.StatusCode} {text}");
                }
            }
        }
    }

    internal static Task ForEachAsync<T>(IReadOnlyList<T> items, int concurrency, Func<T, int, Task> body, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, _) => await body(items[i], i));

    /// <summary>The jobs not yet in state 4, read from their status hashes in pipelined batches.</summary>
    private static async Task<long> CountUnfinishedAsync(BenchContext context, IReadOnlyList<string> jobIds)
    {
        var states = await Task.WhenAll(jobIds.Select(id => context.Redis.HashGetAsync(context.Keys.Status(new JobRef(JobClient.From, id)), "st")));
        return states.Count(s => s != "4");
    }

    /// <summary>Polls <paramref name="probe"/> until it reads 0 or <paramref name="timeout"/> passes; returns its last reading.</summary>
    private static async Task<long> WaitAsync(Func<Task<long>> probe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var left = await probe();
            if (left == 0 || Stopwatch.GetElapsedTime(started) > timeout)
            {
                return left;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private static async Task<long> SumAsync(IEnumerable<Task<long>> counts) => (await Task.WhenAll(counts)).Sum();
}
