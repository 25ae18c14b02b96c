using System.Globalization;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;
using ExeSys.Bench.Options;

namespace ExeSys.Bench.Scenarios;

/// <summary>How one row of a workflow scenario drives its runs: how many, and how many in flight at once.</summary>
internal sealed record WorkflowLoad(Func<BenchOptions, string> Label, Func<BenchOptions, int> Runs, Func<BenchOptions, int> Concurrency);

/// <summary>
/// Whole workflow runs of no-op (<c>echo</c>) nodes, each one <c>POST /workflows?wait=5s</c> that returns with the
/// run's result. After the timed window the bench reads every run's graph (<c>GET /workflows/bench/{job_id}</c>),
/// checks that every node ran once to the end, and takes the gap between steps from the nodes' stored start and
/// end times (see <see cref="StepOverhead"/>). Per-node costs divide by the nodes run: a node is a job in ExeSys.
/// </summary>
internal sealed class WorkflowScenario(string name, string description, WorkflowGraph graph, IReadOnlyList<WorkflowLoad> loads) : IScenario
{
    public string Name => name;

    public string Description => description;

    public string? Unavailable => null;

    public WorkflowGraph Graph => graph;

    public async Task<IReadOnlyList<ScenarioRow>> RunAsync(BenchContext context, int repetition, CancellationToken cancellationToken)
    {
        var rows = new List<ScenarioRow>();
        foreach (var (load, index) in loads.Select((l, i) => (l, i)))
        {
            if (index > 0)
            {
                await context.WaitForQuietAsync(cancellationToken);
            }

            rows.Add(await MeasureAsync(context, load, context.JobIdPrefix(name, repetition, $"p{index}"), cancellationToken));
        }

        return rows;
    }

    private async Task<ScenarioRow> MeasureAsync(BenchContext context, WorkflowLoad load, string prefix, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var runs = load.Runs(options);
        var concurrency = load.Concurrency(options);
        var warmup = await RunAsync(context, prefix + "-w", Math.Min(options.WorkflowWarmup, runs), concurrency, cancellationToken);

        var before = await context.Meter.ReadAsync();
        var run = await RunAsync(context, prefix + "-m", runs, concurrency, cancellationToken);
        var after = await context.Meter.ReadAsync();

        // Read after the window, so that the graph reads are not counted as the runs' Redis cost.
        var errors = new List<string>([.. warmup.Errors, .. run.Errors]);
        var gaps = new List<double>();
        var checkedDone = 0;
        foreach (var jobId in run.DoneJobIds(prefix + "-m"))
        {
            var (runGaps, error) = StepOverhead.Of(jobId, await context.Client.GetWorkflowAsync(jobId, cancellationToken), graph.Nodes);
            if (error is null)
            {
                gaps.AddRange(runGaps);
                checkedDone++;
            }
            else if (errors.Count < 10)
            {
                errors.Add(error);
            }
        }

        var nodes = run.Jobs * graph.Nodes;
        var figures = new Figures
        {
            ["workflow_runs"] = run.Jobs,
            ["workflow_concurrency"] = concurrency,
            ["nodes_per_run"] = graph.Nodes,
            ["edges_per_run"] = graph.Edges,
            ["failed"] = run.Jobs - checkedDone + warmup.Failed,
            ["seconds"] = run.Elapsed.TotalSeconds,
            ["runs_per_s"] = checkedDone / run.Elapsed.TotalSeconds,
            ["nodes_per_s"] = checkedDone * graph.Nodes / run.Elapsed.TotalSeconds,
            ["step_overhead_samples"] = gaps.Count,
            ["step_time_resolution_ms"] = StepOverhead.ResolutionMs,
        };
        Percentiles.Summarize(figures, "run_latency", run.LatenciesMs);
        Percentiles.Summarize(figures, "step_overhead", gaps);
        context.Meter.AddCosts(before, after, nodes, figures);

        await context.DeleteWorkflowRunsAsync([.. warmup.DoneJobIds(prefix + "-w"), .. run.DoneJobIds(prefix + "-m")], graph);
        if (checkedDone == 0)
        {
            throw new InvalidOperationException($"no {name} run finished with every node done: {string.Join("; ", errors.Take(3))}");
        }

        return new ScenarioRow(string.Create(CultureInfo.InvariantCulture, $"{name} {load.Label(options)}"), figures, errors);
    }

    private Task<LoadResult> RunAsync(BenchContext context, string prefix, int runs, int concurrency, CancellationToken cancellationToken) =>
        LoadRunner.RunConcurrentAsync(runs, concurrency, i =>
        {
            var jobId = LoadRunner.JobId(prefix, i);
            var body = graph.Body(JobClient.From, jobId);
            return ct => context.Client.SubmitWorkflowAndWaitAsync(jobId, body, graph.ExpectedResult, ct);
        }, cancellationToken);

    /// <summary>
    /// Runs one at a time under MONITOR: round trips per node, and the gap between steps once more, to the
    /// microsecond, from the times at which Redis ran each node's job_finish script and moved the node to state 2.
    /// </summary>
    public async Task<Figures?> CountRoundTripsAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var prefix = context.JobIdPrefix(name, 0, "roundtrips");
        var runs = Math.Max(1, context.Options.AccountingJobs / graph.Nodes);
        await using var monitor = await context.StartMonitorAsync();
        monitor.RecordScripts = new HashSet<string>(StringComparer.Ordinal) { "job_finish" };
        monitor.RecordStarts = true;
        var run = await RunAsync(context, prefix, runs, 1, cancellationToken);
        await monitor.StopAsync();

        var figures = new Figures { ["round_trip_pass_runs"] = runs };
        monitor.AddFigures(figures, runs * graph.Nodes);
        var gaps = StepOverhead.FromScriptCalls(context.Keys, graph, [.. run.DoneJobIds(prefix)], monitor.ScriptCalls);
        figures["monitor_step_overhead_samples"] = gaps.Count;
        Percentiles.Summarize(figures, "monitor_step_overhead", gaps);
        await context.DeleteWorkflowRunsAsync([.. run.DoneJobIds(prefix)], graph);
        return run.Failed > 0 ? throw new InvalidOperationException($"{run.Failed} run(s) of the MONITOR pass failed: {string.Join("; ", run.Errors)}") : figures;
    }
}
