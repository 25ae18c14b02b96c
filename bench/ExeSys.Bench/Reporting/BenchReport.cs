using System.Text.Json.Serialization;

namespace ExeSys.Bench.Reporting;

/// <summary>The JSON results file: everything needed to compare one run with another.</summary>
internal sealed record BenchReport(
    string Tool,
    string StartedUtc,
    string CommandLine,
    RunSettings Settings,
    MachineInfo Machine,
    double BackgroundRedisCmdsPerS,
    WarmupReport Warmup,
    IReadOnlyList<ScenarioReport> Scenarios,
    IReadOnlyList<string> Notes);

/// <param name="Commit">The repository's git commit (with "+changes" when the tree differs from it), or unknown.</param>
internal sealed record RunSettings(
    string Mode,
    string Commit,
    string Configuration,
    string Api,
    string Redis,
    int Workers,
    int? WorkerConcurrency,
    int? ClaimBatch,
    IReadOnlyDictionary<string, string> ExtraEnvironment,
    int Concurrency,
    int Jobs,
    int BatchSize,
    int BatchConcurrency,
    double WarmupSeconds,
    int Warmup,
    int Samples,
    int LatencyWarmup,
    double RateJobsPerS,
    int Retained,
    int WorkflowSequential,
    int WorkflowRuns,
    int WorkflowConcurrency,
    int DagRuns,
    int WorkflowWarmup,
    int Repeat,
    bool Smoke,
    double WaitQuietSeconds,
    IReadOnlyList<ProcessInfo> Processes);

/// <param name="BatchJobsPerS">The throughput of each warm-up batch, in order: it should level off before the end.</param>
internal sealed record WarmupReport(double Seconds, int Jobs, int Failed, int BatchJobs, IReadOnlyList<double> BatchJobsPerS, IReadOnlyList<string> Errors);

internal sealed record ProcessInfo(string Role, string Label, int Pid);

/// <param name="Damon">Each running DAMON monitor (<see cref="Measurement.KernelMemoryMonitor"/>); empty when none.</param>
internal sealed record MachineInfo(int Cores, string Os, string Dotnet, string RedisVersion, int ClockTicksPerS, IReadOnlyList<string> Damon);

/// <param name="Status">ok, failed: why, or not available (why).</param>
internal sealed record ScenarioReport(string Name, string Description, string Status, IReadOnlyList<RowReport> Rows);

/// <param name="Median">The median of each figure over the repetitions (failed: the sum); round-trip figures come from one untimed MONITOR pass.</param>
/// <param name="Runs">Each repetition's figures.</param>
internal sealed record RowReport(string Label, Figures Median, IReadOnlyList<Figures> Runs, IReadOnlyList<string> Errors);

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
