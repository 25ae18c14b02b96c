using System.Diagnostics;
using System.Globalization;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;
using StackExchange.Redis;

namespace ExeSys.Bench.Scenarios;

/// <summary>
/// Delayed jobs and schedules. First --delayed-jobs echo jobs with run_at spread over 5 s (POST /sys_cmd): each one's
/// start lateness is its start ('sa', Redis's clock) minus its run_at. Then --schedules schedules that each fire every
/// minute (6-field cron, spread evenly over the minute's seconds), created through POST /schedules; after one minute
/// of warm-up, --schedule-minutes minutes of firings are measured: each firing's lateness is its job's creation time
/// ('ct') minus its fire time, and the Redis commands of the window (less the idle rate measured before the schedules
/// existed) per firing. The firings' jobs call a function no worker offers, so they wait in a lane and the window
/// holds the controller's firing work alone. Runs only when named: --scenario schedules.
/// </summary>
internal sealed class ScheduleScenario : IScenario
{
    private const string Sink = "bench_schedule_sink";

    public string Name => "schedules";

    public string Description => "delayed jobs' start lateness; --schedules schedules firing every minute: firing lateness and Redis commands per firing";

    public string? Unavailable => null;

    public bool RunsOnlyWhenNamed => true;

    public Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken) => Task.FromResult<Figures?>(null);

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var prefix = context.JobIdPrefix(Name, repetition, "d");
        var delayed = await DelayedAsync(context, prefix, cancellationToken);
        var scheduled = await SchedulesAsync(context, context.JobIdPrefix(Name, repetition, "s").Replace("-", "", StringComparison.Ordinal), cancellationToken);
        return [delayed, scheduled];
    }

    private static async Task<ScenarioRow> DelayedAsync(BenchContext context, string prefix, CancellationToken cancellationToken)
    {
        var n = context.Options.DelayedJobs;
        using var http = new HttpClient { BaseAddress = context.Target.Api, Timeout = TimeSpan.FromSeconds(30) };
        var errors = new List<string>();
        var before = await context.Meter.ReadAsync();
        var first = DateTimeOffset.UtcNow.AddSeconds(3);
        var runAt = Enumerable.Range(0, n).Select(i => first.AddMilliseconds(5000.0 * i / n)).ToList();
        var ids = Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}")).ToList();
        await EventSoakScenario.ForEachAsync(ids, 32, (id, i) => EventSoakScenario.PostAsync(http, "/sys_cmd",
            $$"""{"from":"{{JobClient.From}}","to":"end_job","cmd":"echo","data":{"n":{{i}}},"job_id":"{{id}}","run_at":"{{runAt[i].ToString("O", CultureInfo.InvariantCulture)}}"}""",
            errors, cancellationToken), cancellationToken);

        var lateness = new List<double>();
        var started = Stopwatch.GetTimestamp();
        while (lateness.Count < n && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            var reads = await Task.WhenAll(ids.Select(id => context.Redis.HashGetAsync(context.Keys.Status(new JobRef(JobClient.From, id)), ["st", "sa"])));
            lateness.Clear();
            for (var i = 0; i < n; i++)
            {
                if (reads[i][0] == "3" && !reads[i][1].IsNull)
                {
                    lateness.Add((long)reads[i][1] - runAt[i].ToUnixTimeMilliseconds());
                }
            }
        }

        var after = await context.Meter.ReadAsync();
        var figures = new Figures { ["jobs"] = n, ["failed"] = n - lateness.Count, ["delayed_early_jobs"] = lateness.Count(l => l < 0) };
        Percentiles.Summarize(figures, "delayed_start_lateness", lateness);
        // Submit, schedule, move onto the lane, claim, run and finish, plus the bench's own reads of the jobs' states.
        context.Meter.AddCosts(before, after, n, figures, includeMemory: false);
        await context.DeleteJobsAsync(ids);
        await context.Log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  delayed: {n:N0} jobs, start lateness p50 {figures["delayed_start_lateness_p50_ms"]:F0} ms, p99 {figures["delayed_start_lateness_p99_ms"]:F0} ms, max {figures["delayed_start_lateness_max_ms"]:F0} ms, {figures["delayed_early_jobs"]} early"));
        return new ScenarioRow("schedules: delayed jobs", figures, errors);
    }

    private static async Task<ScenarioRow> SchedulesAsync(BenchContext context, string prefix, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var n = options.Schedules;
        var names = Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}{i}")).ToList();
        using var http = new HttpClient { BaseAddress = context.Target.Api, Timeout = TimeSpan.FromSeconds(60) };
        var errors = new List<string>();

        // The idle rate of Redis commands (heartbeats, idle polls), subtracted from the firing window.
        var idleBefore = await context.Meter.ReadAsync();
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var idleAfter = await context.Meter.ReadAsync();
        var idlePerSecond = RedisInfo.CommandsBetween(idleBefore.Redis, idleAfter.Redis) / Stopwatch.GetElapsedTime(idleBefore.Timestamp, idleAfter.Timestamp).TotalSeconds;

        var creating = Stopwatch.GetTimestamp();
        await EventSoakScenario.ForEachAsync(names, 32, (name, i) => EventSoakScenario.PostAsync(http, "/schedules",
            $$"""{"name":"{{name}}","cron":"{{i % 60}} * * * * *","overlap":"allow_all","command":{"from":"{{JobClient.From}}","to":"end_job","cmd":"{{Sink}}","data":{"n":{{i}}} } }""",
            errors, cancellationToken), cancellationToken);
        var created = Stopwatch.GetElapsedTime(creating);
        await context.Log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  schedules: {n:N0} created in {created.TotalSeconds:F0} s"));

        // One minute of warm-up from the next whole minute, then the measured minutes.
        var now = DateTimeOffset.UtcNow;
        var from = DateTimeOffset.FromUnixTimeSeconds((now.ToUnixTimeSeconds() / 60 * 60) + 120);
        var until = from.AddMinutes(options.ScheduleMinutes);
        await Task.Delay(from - DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(500), cancellationToken);
        var before = await context.Meter.ReadAsync();
        await Task.Delay(until - DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(500), cancellationToken);
        var after = await context.Meter.ReadAsync();
        // The last firings of the window (the seconds just before 'until') are given time to land.
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);

        var lateness = new List<double>();
        var missing = 0;
        var jobIds = new List<string>();
        for (var minute = from; minute < until; minute = minute.AddMinutes(1))
        {
            foreach (var chunk in Enumerable.Range(0, n).Chunk(5_000))
            {
                var ids = chunk.Select(i => ScheduleTimes.JobId(names[i], minute.AddSeconds(i % 60).ToUnixTimeMilliseconds())).ToList();
                jobIds.AddRange(ids);
                var created2 = await Task.WhenAll(ids.Select(id => context.Redis.HashGetAsync(context.Keys.Status(new JobRef(JobClient.From, id)), "ct")));
                for (var k = 0; k < chunk.Length; k++)
                {
                    if (created2[k].IsNull)
                    {
                        missing++;
                    }
                    else
                    {
                        lateness.Add((long)created2[k] - minute.AddSeconds(chunk[k] % 60).ToUnixTimeMilliseconds());
                    }
                }
            }
        }

        var firings = lateness.Count;
        var figures = new Figures
        {
            ["jobs"] = firings,
            ["failed"] = missing,
            ["schedules"] = n,
            ["schedules_created_per_s"] = n / created.TotalSeconds,
            ["firings_per_s"] = firings / (until - from).TotalSeconds,
        };
        Percentiles.Summarize(figures, "firing_lateness", lateness);
        context.Meter.AddCosts(before, after, Math.Max(1, firings), figures, includeMemory: false);
        var windowSeconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        figures["redis_cmds_per_firing"] = (RedisInfo.CommandsBetween(before.Redis, after.Redis) - (idlePerSecond * windowSeconds)) / Math.Max(1, firings);
        await context.Log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  schedules: {firings:N0} firings in {options.ScheduleMinutes} min ({missing} missing), lateness p50 {figures["firing_lateness_p50_ms"]:F0} ms, p99 {figures["firing_lateness_p99_ms"]:F0} ms, max {figures["firing_lateness_max_ms"]:F0} ms; {figures["redis_cmds_per_firing"]:F1} Redis commands per firing"));

        await CleanUpAsync(context, names, jobIds);
        return new ScenarioRow("schedules: firing", figures, errors);
    }

    /// <summary>Removes the schedules and every job they fired (the bench's own keys, by name: no scan).</summary>
    private static async Task CleanUpAsync(BenchContext context, IReadOnlyList<string> names, IReadOnlyList<string> measured)
    {
        var db = context.Redis;
        var k = context.Keys.Schedules;
        await db.KeyDeleteAsync([k.Due, k.Names, k.TenantNames, k.Pending]);
        foreach (var chunk in names.Chunk(2_000))
        {
            await db.KeyDeleteAsync([.. chunk.SelectMany(n => new RedisKey[] { k.Schedule(n), k.Runs(n) })]);
        }

        await context.DeleteJobsAsync(measured);
        // The warm-up's and the trailing seconds' jobs: every job left in the sink lane.
        var lane = context.Keys.Default.Lane(Sink);
        while (await db.SortedSetRangeByRankAsync(lane, 0, 1_999) is { Length: > 0 } members)
        {
            await db.KeyDeleteAsync([.. members.Select(m => context.Keys.Status(JobRef.Parse((string)m!)))]);
            await db.SortedSetRemoveAsync(lane, members);
        }

        await db.SortedSetRemoveAsync(context.Keys.Default.Lanes, Sink);
    }
}
