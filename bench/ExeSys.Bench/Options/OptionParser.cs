using System.Globalization;

namespace ExeSys.Bench.Options;

/// <summary>Reads the command line. Every mistake is one sentence that says what to type instead.</summary>
internal static class OptionParser
{
    public const string Usage = """
        ExeSys.Bench: end-to-end benchmark of ExeSys through HTTP /sys_cmd.

        Usage: bench/run.sh [options]

        Target (default: start a private redis-server, 1 API, 1 controller and --workers workers from the Release build)
          --api URL                 target a running API, e.g. http://127.0.0.1:5000 (needs --redis)
          --redis HOST:PORT         the Redis that API uses (needs --api)
          --key-prefix P            ExeSys key prefix of that Redis (default exesys)
          --repo PATH               repository to start processes from (default: found from the tool's location)
          --configuration NAME      build configuration to start ExeSys from (default Release)
          --redis-server PATH       redis-server binary (default: redis-server on PATH)
          --workers N               worker processes to start (default 1)
          --worker-concurrency N    ExeSys__Worker__Concurrency for started workers (default: product default)
          --claim-batch N           ExeSys__Worker__ClaimBatch for started workers (default: product default)
          --set KEY=VALUE           extra environment variable for started ExeSys processes (repeatable)

        Load
          --scenario a,b            scenarios to run (default all): noop, payload10k, batch, latency, retained, chain10, dag100;
                                    soak_events and schedules run only when named
          --concurrency N           requests in flight in throughput scenarios (default 256)
          --jobs N                  measured jobs per throughput scenario (default 20000)
          --batch-size N            jobs per POST /sys_cmd/batch request in the batch scenario (default 100)
          --batch-concurrency N     batch requests in flight in the batch scenario (default 8)
          --warmup-seconds N        no-op load before any scenario, until the JIT has settled (default 20)
          --warmup N                unmeasured jobs before each throughput measurement (default 2000)
          --samples N               measured jobs in latency scenarios (default 2000)
          --latency-warmup N        unmeasured jobs before each latency measurement (default 100)
          --rate N                  jobs per second in latency scenarios, one at a time (default 200)
          --retained N              finished jobs written before the retained measurement (default 1000000)
          --workflow-sequential N   chain10 runs one at a time: the per-step overhead headline (default 200)
          --workflow-runs N         chain10 runs with --workflow-concurrency runs in flight (default 200)
          --workflow-concurrency N  workflow runs in flight in that row (default 16)
          --soak-waiters N          soak_events: wait_event jobs that time out (default 5000)
          --soak-posts N            soak_events: events posted meanwhile (default 50000)
          --soak-names N            soak_events: event names they spread over (default 100)
          --soak-timeout-ms N       soak_events: the waiters' timeout_ms (default 3000)
          --delayed-jobs N          schedules: delayed jobs whose start lateness is measured (default 1000)
          --schedules N             schedules: schedules firing every minute (default 100000)
          --schedule-minutes N      schedules: minutes of firings measured, after one of warm-up (default 1)
          --dag-runs N              dag100 runs, one at a time (default 10)
          --workflow-warmup N       unmeasured runs before each workflow measurement (default 20)
          --repeat N                run every scenario N times and report the median of each figure (default 1)
          --no-round-trips          skip the MONITOR pass that counts client round trips
          --accounting-jobs N       jobs in that pass per scenario; workflow passes run N / nodes runs (default 1000)
          --wait-quiet N            before each measurement, wait up to N s for a shared machine to go idle (default 0)
          --smoke                   tiny run for tests: no warm-up, 50 jobs, batches of 10, 20 samples, 1000 retained,
                                    4 + 6 chain10 runs, 2 dag100 runs (explicit options win)

        Output
          --out PATH                JSON results (default <repo>/bench-results/<UTC timestamp>.json)
          --help                    this text
        """;

    /// <returns>The options, or null with <paramref name="error"/> set (or neither when --help was asked).</returns>
    public static BenchOptions? Parse(IReadOnlyList<string> args, out string? error, out bool help)
    {
        error = null;
        help = false;
        var given = new List<(string Name, string? Value)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"Unexpected argument '{arg}'. Options start with --; see --help.";
                return null;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (Flags.Contains(name))
            {
                given.Add((name, null));
                continue;
            }

            if (!Valued.Contains(name))
            {
                error = $"Unknown option '--{name}'. See --help for the list.";
                return null;
            }

            string value;
            if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                error = $"'--{name}' needs a value.";
                return null;
            }

            given.Add((name, value));
        }

        if (given.Any(g => g.Name == "help"))
        {
            help = true;
            return null;
        }

        var options = given.Any(g => g.Name == "smoke") ? BenchOptions.SmokeDefaults : new BenchOptions();
        var extraEnvironment = new List<KeyValuePair<string, string>>();
        try
        {
            foreach (var (name, value) in given)
            {
                options = name switch
                {
                    "smoke" or "help" => options,
                    "no-round-trips" => options with { CountRoundTrips = false },
                    "api" => options with { Api = ParseUri(value!) },
                    "redis" => options with { Redis = value },
                    "key-prefix" => options with { KeyPrefix = value! },
                    "repo" => options with { RepoRoot = Path.GetFullPath(value!) },
                    "configuration" => options with { Configuration = value! },
                    "redis-server" => options with { RedisServer = value! },
                    "workers" => options with { Workers = Int(name, value!, 1, 64) },
                    "worker-concurrency" => options with { WorkerConcurrency = Int(name, value!, 1, 10_000) },
                    "claim-batch" => options with { ClaimBatch = Int(name, value!, 1, 1_000) },
                    "set" => AddEnvironment(options, extraEnvironment, value!),
                    "scenario" => options with { Scenarios = [.. value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                    "concurrency" => options with { Concurrency = Int(name, value!, 1, 10_000) },
                    "jobs" => options with { Jobs = Int(name, value!, 1, 100_000_000) },
                    "batch-size" => options with { BatchSize = Int(name, value!, 1, 100_000) },
                    "batch-concurrency" => options with { BatchConcurrency = Int(name, value!, 1, 10_000) },
                    "warmup-seconds" => options with { WarmupTime = TimeSpan.FromSeconds(Int(name, value!, 0, 3_600)) },
                    "warmup" => options with { Warmup = Int(name, value!, 0, 100_000_000) },
                    "samples" => options with { Samples = Int(name, value!, 1, 100_000_000) },
                    "latency-warmup" => options with { LatencyWarmup = Int(name, value!, 0, 100_000_000) },
                    "rate" => options with { Rate = Int(name, value!, 1, 1_000_000) },
                    "retained" => options with { Retained = Int(name, value!, 0, 100_000_000) },
                    "workflow-sequential" => options with { WorkflowSequential = Int(name, value!, 1, 10_000_000) },
                    "workflow-runs" => options with { WorkflowRuns = Int(name, value!, 1, 10_000_000) },
                    "workflow-concurrency" => options with { WorkflowConcurrency = Int(name, value!, 1, 10_000) },
                    "soak-waiters" => options with { SoakWaiters = Int(name, value!, 1, 10_000_000) },
                    "soak-posts" => options with { SoakPosts = Int(name, value!, 0, 100_000_000) },
                    "soak-names" => options with { SoakNames = Int(name, value!, 1, 100_000) },
                    "soak-timeout-ms" => options with { SoakTimeoutMs = Int(name, value!, 0, 3_600_000) },
                    "delayed-jobs" => options with { DelayedJobs = Int(name, value!, 1, 1_000_000) },
                    "schedules" => options with { Schedules = Int(name, value!, 1, 10_000_000) },
                    "schedule-minutes" => options with { ScheduleMinutes = Int(name, value!, 1, 60) },
                    "dag-runs" => options with { DagRuns = Int(name, value!, 1, 1_000_000) },
                    "workflow-warmup" => options with { WorkflowWarmup = Int(name, value!, 0, 1_000_000) },
                    "repeat" => options with { Repeat = Int(name, value!, 1, 100) },
                    "accounting-jobs" => options with { AccountingJobs = Int(name, value!, 1, 1_000_000) },
                    "wait-quiet" => options with { WaitQuiet = TimeSpan.FromSeconds(Int(name, value!, 0, 86_400)) },
                    "out" => options with { Out = Path.GetFullPath(value!) },
                    _ => throw new FormatException($"Unhandled option '--{name}'."),
                };
            }
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }

        if ((options.Api is null) != (options.Redis is null))
        {
            error = "--api and --redis go together: give both to target running processes, or neither to start the bench's own.";
            return null;
        }

        return options;
    }

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "smoke", "help", "no-round-trips" };

    private static readonly HashSet<string> Valued = new(StringComparer.Ordinal)
    {
        "api", "redis", "key-prefix", "repo", "configuration", "redis-server", "workers", "worker-concurrency", "claim-batch", "set",
        "scenario", "concurrency", "jobs", "batch-size", "batch-concurrency", "warmup-seconds", "warmup", "samples", "latency-warmup", "rate", "retained", "repeat",
        "accounting-jobs", "wait-quiet", "out", "workflow-sequential", "workflow-runs", "workflow-concurrency", "dag-runs", "workflow-warmup",
        "soak-waiters", "soak-posts", "soak-names", "soak-timeout-ms", "delayed-jobs", "schedules", "schedule-minutes",
    };

    private static BenchOptions AddEnvironment(BenchOptions options, List<KeyValuePair<string, string>> all, string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new FormatException($"--set needs KEY=VALUE, e.g. --set DOTNET_gcServer=0; got '{value}'.");
        }

        all.Add(new(value[..eq], value[(eq + 1)..]));
        return options with { ExtraEnvironment = [.. all] };
    }

    private static Uri ParseUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new FormatException($"--api must be an absolute http(s) URL such as http://127.0.0.1:5000; got '{value}'.");

    private static int Int(string name, string value, int min, int max)
    {
        var clean = value.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        return int.TryParse(clean, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"--{name} must be a whole number from {min} to {max}; got '{value}'.");
    }
}
