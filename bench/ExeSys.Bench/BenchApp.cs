using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;
using ExeSys.Bench.Options;
using ExeSys.Bench.Reporting;
using ExeSys.Bench.Scenarios;
using ExeSys.Bench.Target;

namespace ExeSys.Bench;

/// <summary>Runs the selected scenarios against the target, then prints the table and writes the JSON file.</summary>
internal static class BenchApp
{
    /// <returns>0 when every scenario ran and every job finished; 1 when something failed; 2 for a bad command line.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var options = OptionParser.Parse(args, out var error, out var help);
        if (help)
        {
            await output.WriteLineAsync(OptionParser.Usage);
            return 0;
        }

        if (options is null)
        {
            await Console.Error.WriteLineAsync($"{error}{Environment.NewLine}Run with --help for the options.");
            return 2;
        }

        options = options with { RepoRoot = string.IsNullOrEmpty(options.RepoRoot) ? FindRepoRoot() : options.RepoRoot };
        var unknown = options.Scenarios.Where(n => ScenarioCatalog.All.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            await Console.Error.WriteLineAsync($"Unknown scenario(s): {string.Join(", ", unknown)}. The scenarios are: {string.Join(", ", ScenarioCatalog.All.Select(s => s.Name))}.");
            return 2;
        }

        var scenarios = ScenarioCatalog.All.Where(s => options.Scenarios.Count == 0 ? !s.RunsOnlyWhenNamed : options.Scenarios.Contains(s.Name)).ToList();
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true; // stop cleanly, so the processes the bench started are killed
            stop.Cancel();
        }

        try
        {
            return await RunScenariosAsync(options, scenarios, args, output, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted; the processes the bench started have been stopped.");
            return 1;
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"The benchmark cannot run: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> RunScenariosAsync(BenchOptions options, List<IScenario> scenarios, string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var startedUtc = TimeProvider.System.GetUtcNow();
        await output.WriteLineAsync(options.OwnProcesses
            ? $"Starting redis-server, 1 controller, {options.Workers} worker(s) and 1 API from {options.RepoRoot} ({options.Configuration}) ..."
            : $"Targeting {options.Api} with Redis {options.Redis} ...");
        await using var target = options.OwnProcesses
            ? await TargetSystem.StartAsync(options, output, cancellationToken)
            : await TargetSystem.AttachAsync(options, output, cancellationToken);
        await output.WriteLineAsync($"Ready: API {target.Api}, Redis {target.RedisEndpoint} ({target.RedisVersion}), " +
            $"{target.Workers} worker(s); measuring {string.Join(", ", target.Processes.Select(p => $"{p.Label}={p.Pid}"))}.");

        using var client = new JobClient(target.Api, options.Concurrency, options.ApiKey);
        var runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));
        var context = new BenchContext(options, target, client, runId, output);
        await context.WaitForQuietAsync(cancellationToken);
        var background = await MeasureBackgroundAsync(context, cancellationToken);
        var warmup = await WarmUpAsync(context, cancellationToken);

        var results = scenarios.ToDictionary(s => s.Name, _ => new List<IReadOnlyList<ScenarioRow>>());
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var runnable = scenarios.Where(s => s.Unavailable is null).ToList();
        for (var repetition = 1; repetition <= options.Repeat; repetition++)
        {
            foreach (var scenario in runnable.Where(s => !failures.ContainsKey(s.Name)))
            {
                try
                {
                    await context.WaitForQuietAsync(cancellationToken);
                    var rows = await scenario.RunAsync(context, repetition, cancellationToken);
                    results[scenario.Name].Add(rows);
                    foreach (var row in rows)
                    {
                        await output.WriteLineAsync($"[{repetition}/{options.Repeat}] {Progress(row)}");
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException && IsScenarioFailure(ex))
                {
                    failures[scenario.Name] = ex.Message;
                    await output.WriteLineAsync($"[{repetition}/{options.Repeat}] {scenario.Name} failed: {ex.Message}");
                }
            }
        }

        var roundTrips = new Dictionary<string, Figures>(StringComparer.Ordinal);
        if (options.CountRoundTrips)
        {
            await output.WriteLineAsync("Counting client round trips with Redis MONITOR (untimed) ...");
            foreach (var scenario in runnable.Where(s => !failures.ContainsKey(s.Name)))
            {
                try
                {
                    if (await scenario.CountRoundTripsAsync(context, cancellationToken) is { } figures)
                    {
                        roundTrips[scenario.Name] = figures;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException && IsScenarioFailure(ex))
                {
                    await output.WriteLineAsync($"Round trips of {scenario.Name} not counted: {ex.Message}");
                }
            }
        }

        var report = new BenchReport(
            "ExeSys.Bench",
            startedUtc.ToString("O", CultureInfo.InvariantCulture),
            string.Join(' ', args),
            Settings(options, target),
            new MachineInfo(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, target.RedisVersion, ProcessCpu.TicksPerSecond, KernelMemoryMonitor.DescribeDamon()),
            background,
            warmup,
            [.. scenarios.Select(s => new ScenarioReport(
                s.Name,
                s.Description,
                s.Unavailable ?? (failures.TryGetValue(s.Name, out var why) ? $"failed: {why}" : "ok"),
                s.Unavailable is null ? Aggregation.Rows(results[s.Name], roundTrips.GetValueOrDefault(s.Name)) : []))],
            Notes(options));

        await output.WriteLineAsync();
        await output.WriteAsync(ResultTable.Render(report));
        var path = options.Out ?? Path.Combine(options.RepoRoot, "bench-results", $"{startedUtc:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, ReportJsonContext.Default.BenchReport), cancellationToken);
        await output.WriteLineAsync($"JSON: {path}");

        var failedJobs = warmup.Failed + report.Scenarios.SelectMany(s => s.Rows).SelectMany(r => r.Runs).Sum(f => f.GetValueOrDefault("failed"));
        if (warmup.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"warm-up: {warmup.Failed} failed job(s): {string.Join(Environment.NewLine + "  ", warmup.Errors)}");
        }

        foreach (var row in report.Scenarios.SelectMany(s => s.Rows).Where(r => r.Errors.Count > 0))
        {
            await Console.Error.WriteLineAsync($"{row.Label}: {string.Join(Environment.NewLine + "  ", row.Errors)}");
        }

        if (failures.Count > 0 || failedJobs > 0)
        {
            // The started processes' temporary logs go with them; say what they said while it still exists.
            await Console.Error.WriteLineAsync($"The ExeSys processes' logs end:{Environment.NewLine}{target.DescribeLogs(20)}");
            return 1;
        }

        return 0;
    }

    /// <summary>What ExeSys sends to Redis with no jobs at all: heartbeats, controller ticks. Part of every per-job figure.</summary>
    private static async Task<double> MeasureBackgroundAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var before = await RedisInfo.ReadAsync(context.Target.RedisServer);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Delay(context.Options.IdleWindow, cancellationToken);
        var after = await RedisInfo.ReadAsync(context.Target.RedisServer);
        return RedisInfo.CommandsBetween(before, after) / System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>No-op load in batches until <see cref="BenchOptions.WarmupTime"/> has passed; each batch's rate goes to the report.</summary>
    private static async Task<WarmupReport> WarmUpAsync(BenchContext context, CancellationToken cancellationToken)
    {
        const int BatchJobs = 2_000;
        var options = context.Options;
        var rates = new List<double>();
        var jobs = 0;
        var failed = 0;
        var errors = new List<string>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (options.WarmupTime > TimeSpan.Zero)
        {
            await context.Log.WriteLineAsync($"Warming up: no-op jobs at concurrency {options.Concurrency} for {options.WarmupTime.TotalSeconds:0} s ...");
        }

        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < options.WarmupTime)
        {
            var prefix = context.JobIdPrefix("warmup", 0, rates.Count.ToString(CultureInfo.InvariantCulture));
            var batch = await LoadRunner.RunConcurrentAsync(context.Client, prefix, BatchJobs, ScenarioCatalog.TinyData, options.Concurrency, cancellationToken);
            rates.Add(Math.Round(BatchJobs / batch.Elapsed.TotalSeconds));
            jobs += BatchJobs;
            failed += batch.Failed;
            errors.AddRange(batch.Errors.Take(10 - errors.Count));
            await context.DeleteJobsAsync(batch.DoneJobIds(prefix));
        }

        if (rates.Count > 0)
        {
            await context.Log.WriteLineAsync($"Warm-up: {jobs:N0} jobs; jobs/s per batch of {BatchJobs:N0}: {string.Join(", ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}");
        }

        return new WarmupReport(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, jobs, failed, BatchJobs, rates, errors);
    }

    private static bool IsScenarioFailure(Exception ex) =>
        ex is InvalidOperationException or StackExchange.Redis.RedisException or HttpRequestException or IOException or TimeoutException;

    private static string Progress(ScenarioRow row)
    {
        var f = row.Figures;
        var parts = new List<string> { row.Label };
        if (f.TryGetValue("throughput_jobs_per_s", out var t))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{t:N0} jobs/s"));
        }

        if (f.TryGetValue("latency_p50_ms", out var p50))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"p50 {p50:F2} ms, p99 {f["latency_p99_ms"]:F2} ms"));
        }

        if (f.TryGetValue("runs_per_s", out var runs))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{runs:N1} runs/s, run p50 {f["run_latency_p50_ms"]:F1} ms, step p50 {f["step_overhead_p50_ms"]:F0} ms / p99 {f["step_overhead_p99_ms"]:F0} ms / mean {f["step_overhead_mean_ms"]:F2} ms (1 ms steps)"));
        }

        if (f.TryGetValue("graph_render_p50_ms", out var render))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"draw p50 {render:F0} ms / max {f["graph_render_max_ms"]:F0} ms"));
        }

        if (f.TryGetValue("jobs_list_newest_p50_ms", out var list))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"list p50 {list:F1} ms (state=4: {f.GetValueOrDefault("jobs_list_state_failed_p50_ms"):F1} ms, prefix: {f.GetValueOrDefault("jobs_list_client_prefix_p50_ms"):F1} ms), p99 {f["jobs_list_newest_p99_ms"]:F1} ms"));
        }

        if (f.TryGetValue("redis_cmds_per_job", out var commands))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{commands:F1} Redis cmds/{(f.ContainsKey("nodes_per_run") ? "node" : "job")}"));
        }

        if (f.TryGetValue("prefill_seconds", out var prefill))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{f["retained_jobs"]:N0} jobs written in {prefill:F1} s"));
        }

        if (f.GetValueOrDefault("cpu_cores_other") > ResultTable.OtherLoadWarning)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"other processes used {f["cpu_cores_other"]:F2} cores"));
        }

        if (f.GetValueOrDefault("failed") > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{f["failed"]:N0} FAILED"));
        }

        return string.Join(", ", parts);
    }

    private static RunSettings Settings(BenchOptions o, TargetSystem target) => new(
        target.Mode,
        GitCommit(o.RepoRoot),
        o.Configuration,
        target.Api.ToString(),
        target.RedisEndpoint,
        target.Workers,
        o.WorkerConcurrency,
        o.ClaimBatch,
        o.ExtraEnvironment.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        o.Concurrency,
        o.Jobs,
        o.BatchSize,
        o.BatchConcurrency,
        o.WarmupTime.TotalSeconds,
        o.Warmup,
        o.Samples,
        o.LatencyWarmup,
        o.Rate,
        o.Retained,
        o.WorkflowSequential,
        o.WorkflowRuns,
        o.WorkflowConcurrency,
        o.DagRuns,
        o.WorkflowWarmup,
        o.Repeat,
        o.Smoke,
        o.WaitQuiet.TotalSeconds,
        [.. target.Processes.Select(p => new ProcessInfo(p.Role, p.Label, p.Pid))]);

    private static List<string> Notes(BenchOptions options) =>
    [
        "jobs/s: measured jobs / time from the first submit to the last result, --concurrency requests in flight, each POST /sys_cmd?wait=5s.",
        $"p50..max: submit→result of one job at a time at {options.Rate:0} jobs/s (latency rows only; throughput rows keep load_latency_* in the JSON).",
        "Redis cmds/job: INFO commandstats calls (commands inside Lua included, the bench's INFO excluded) / jobs; round trips/job: client-sent commands per job, counted in a separate untimed MONITOR pass.",
        "Redis B/job: INFO used_memory delta / jobs, finished jobs retained; retained +N row: per copied finished job.",
        "Workflow rows: a node is a job, so per-job costs are per node. step (stored): from the node start/end times of GET /workflows, whole ms of the worker's clock, so each gap is off by < 1 ms (the mean is not); step (MONITOR): Redis's µs clock at job_finish and at the node's move to state 2, one run at a time in the untimed MONITOR pass, which slows Redis a little.",
    ];

    private static string GitCommit(string repo)
    {
        static string? Git(string repo, string arguments)
        {
            try
            {
                using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", $"-C \"{repo}\" {arguments}")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                var text = git!.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit();
                return git.ExitCode == 0 ? text : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null;
            }
        }

        var commit = Git(repo, "rev-parse --short HEAD");
        return commit is null ? "unknown" : Git(repo, "status --porcelain --untracked-files=no") is { Length: > 0 } ? $"{commit}+changes" : commit;
    }

    /// <summary>The directory holding ExeSys.sln, searched upwards from the tool, then from the current directory.</summary>
    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ExeSys.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
