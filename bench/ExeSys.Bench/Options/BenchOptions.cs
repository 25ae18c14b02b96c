namespace ExeSys.Bench.Options;

/// <summary>Everything a run is configured with. Defaults are the full run; <see cref="Smoke"/> is the tiny one.</summary>
internal sealed record BenchOptions
{
    /// <summary>A running API to target; null starts the bench's own processes.</summary>
    public Uri? Api { get; init; }

    /// <summary>The Redis that <see cref="Api"/> uses (host:port); required with it.</summary>
    public string? Redis { get; init; }

    public string KeyPrefix { get; init; } = "exesys";

    /// <summary>The repository whose Release build is started in own-process mode.</summary>
    public string RepoRoot { get; init; } = "";

    /// <summary>The build configuration whose ExeSys binaries are started (bin/CONFIGURATION/net10.0).</summary>
    public string Configuration { get; init; } = "Release";

    public string RedisServer { get; init; } = "redis-server";

    public int Workers { get; init; } = 1;

    /// <summary>ExeSys__Worker__Concurrency for own workers; null keeps the product default.</summary>
    public int? WorkerConcurrency { get; init; }

    /// <summary>ExeSys__Worker__ClaimBatch for own workers; null keeps the product default.</summary>
    public int? ClaimBatch { get; init; }

    /// <summary>Extra environment variables for own ExeSys processes (--set KEY=VALUE).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraEnvironment { get; init; } = [];

    /// <summary>
    /// The API key the bench's clients send (X-Api-Key): the one given to its own API with
    /// <c>--set ExeSys__Auth__BootstrapKey=...</c>, which also turns keys on there; null when keys are off.
    /// </summary>
    public string? ApiKey => ExtraEnvironment.FirstOrDefault(kv => kv.Key == "ExeSys__Auth__BootstrapKey").Value;

    /// <summary>Requests in flight at once in the throughput scenarios; also the HTTP connection limit.</summary>
    public int Concurrency { get; init; } = 256;

    public int Jobs { get; init; } = 20_000;

    /// <summary>Jobs per POST /sys_cmd/batch request in the batch scenario.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Batch requests in flight at once in the batch scenario.</summary>
    public int BatchConcurrency { get; init; } = 8;

    /// <summary>
    /// No-op load run once before any scenario. ExeSys's CPU cost per job keeps falling for about 10 s of load
    /// after start (tiered JIT with dynamic PGO), so measuring earlier would measure the JIT.
    /// </summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Jobs run before each throughput measurement, so the system is in that scenario's steady state.</summary>
    public int Warmup { get; init; } = 2_000;

    public int Samples { get; init; } = 2_000;

    public int LatencyWarmup { get; init; } = 100;

    /// <summary>Jobs per second in the latency scenarios, one at a time.</summary>
    public double Rate { get; init; } = 200;

    public int Retained { get; init; } = 1_000_000;

    /// <summary>chain10 runs measured with <see cref="WorkflowConcurrency"/> runs in flight.</summary>
    public int WorkflowRuns { get; init; } = 200;

    public int WorkflowConcurrency { get; init; } = 16;

    /// <summary>chain10 runs measured one at a time: the per-step overhead on an otherwise idle system.</summary>
    public int WorkflowSequential { get; init; } = 200;

    /// <summary>dag100 runs, one at a time.</summary>
    public int DagRuns { get; init; } = 10;

    /// <summary>Unmeasured runs before each workflow measurement (at most as many as are measured).</summary>
    public int WorkflowWarmup { get; init; } = 20;

    /// <summary>soak_events: wait_event jobs that all time out, over <see cref="SoakNames"/> event names.</summary>
    public int SoakWaiters { get; init; } = 5_000;

    /// <summary>soak_events: events posted while the waiters wait.</summary>
    public int SoakPosts { get; init; } = 50_000;

    public int SoakNames { get; init; } = 100;

    public int SoakTimeoutMs { get; init; } = 3_000;

    /// <summary>schedules: delayed jobs (run_at spread over a few seconds) whose start lateness is measured.</summary>
    public int DelayedJobs { get; init; } = 1_000;

    /// <summary>schedules: schedules that each fire every minute (spread over the minute's seconds).</summary>
    public int Schedules { get; init; } = 100_000;

    /// <summary>schedules: whole minutes of firings measured, after one minute of warm-up.</summary>
    public int ScheduleMinutes { get; init; } = 1;

    /// <summary>Scenario names to run; empty runs all but those that run only when named (soak_events).</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    public int Repeat { get; init; } = 1;

    public string? Out { get; init; }

    public bool Smoke { get; init; }

    /// <summary>Count client round trips with a separate MONITOR pass after the timed runs.</summary>
    public bool CountRoundTrips { get; init; } = true;

    /// <summary>Jobs in the MONITOR pass of a throughput scenario.</summary>
    public int AccountingJobs { get; init; } = 1_000;

    /// <summary>Idle time over which background Redis traffic (heartbeats, ticks) is measured.</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Before each measurement, wait up to this long for other processes on the machine to go idle.</summary>
    public TimeSpan WaitQuiet { get; init; } = TimeSpan.Zero;

    public bool OwnProcesses => Api is null;

    public static BenchOptions SmokeDefaults { get; } = new()
    {
        Smoke = true,
        Concurrency = 8,
        Jobs = 50,
        BatchSize = 10,
        BatchConcurrency = 2,
        WarmupTime = TimeSpan.Zero,
        Warmup = 10,
        Samples = 20,
        LatencyWarmup = 5,
        Rate = 200,
        Retained = 1_000,
        WorkflowRuns = 6,
        WorkflowConcurrency = 3,
        WorkflowSequential = 4,
        DagRuns = 2,
        WorkflowWarmup = 1,
        AccountingJobs = 20,
        IdleWindow = TimeSpan.FromMilliseconds(500),
        SoakWaiters = 50,
        SoakPosts = 200,
        SoakNames = 5,
        SoakTimeoutMs = 500,
        DelayedJobs = 20,
        Schedules = 120,
        ScheduleMinutes = 1,
    };
}
