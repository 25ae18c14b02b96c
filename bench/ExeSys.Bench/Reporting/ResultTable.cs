using System.Globalization;
using System.Text;

namespace ExeSys.Bench.Reporting;

/// <summary>The readable form of a <see cref="BenchReport"/>: a results table and a CPU table.</summary>
internal static class ResultTable
{
    private sealed record Column(string Header, Func<Figures, string> Cell);

    private static readonly Column[] Main =
    [
        new("jobs/s", f => Number(f, "throughput_jobs_per_s", "N0")),
        new("p50 ms", f => Number(f, "latency_p50_ms", "F2")),
        new("p95 ms", f => Number(f, "latency_p95_ms", "F2")),
        new("p99 ms", f => Number(f, "latency_p99_ms", "F2")),
        new("max ms", f => Number(f, "latency_max_ms", "F2")),
        new("Redis cmds/job", f => Number(f, "redis_cmds_per_job", "F1")),
        new("round trips/job", f => Number(f, "redis_round_trips_per_job", "F1")),
        new("Redis B/job", f => Number(f, "redis_mem_bytes_per_job", "N0")),
        new("Redis MB base/peak/after", f => f.ContainsKey("redis_mem_peak_bytes")
            ? string.Join(" / ", new[] { "baseline", "peak", "after" }.Select(p => (f[$"redis_mem_{p}_bytes"] / 1024 / 1024).ToString("F1", CultureInfo.InvariantCulture)))
            : "-"),
        new("failed (all runs)", f => Number(f, "failed", "N0")),
    ];

    /// <summary>
    /// Workflow rows: whole runs, the run's submit→result time, and the gap between a step's end and the next step's
    /// start, from the nodes' stored times (whole ms) and, one run at a time, from the MONITOR pass (µs).
    /// </summary>
    private static readonly Column[] Workflows =
    [
        new("runs/s", f => Number(f, "runs_per_s", "N1")),
        new("nodes/s", f => Number(f, "nodes_per_s", "N0")),
        new("run p50 ms", f => Number(f, "run_latency_p50_ms", "F1")),
        new("run p99 ms", f => Number(f, "run_latency_p99_ms", "F1")),
        new("step p50/p95/p99/max ms (stored, 1 ms steps)", f => string.Join(" / ", new[] { "p50", "p95", "p99", "max" }.Select(p => Number(f, $"step_overhead_{p}_ms", "F0")))),
        new("step mean ms", f => Number(f, "step_overhead_mean_ms", "F2")),
        new("step p50/p95/p99/max ms (MONITOR, µs)", f => f.GetValueOrDefault("workflow_concurrency") == 1
            ? string.Join(" / ", new[] { "p50", "p95", "p99", "max" }.Select(p => Number(f, $"monitor_step_overhead_{p}_ms", "F2")))
            : "-"),
        new("Redis cmds/node", f => Number(f, "redis_cmds_per_job", "F1")),
        new("round trips/node", f => Number(f, "redis_round_trips_per_job", "F1")),
        new("failed (all runs)", f => Number(f, "failed", "N0")),
    ];

    /// <summary>Cores used by processes outside the benchmark above which the figures are flagged.</summary>
    public const double OtherLoadWarning = 0.1;

    private static readonly string[] CpuRoles = ["api", "worker", "controller", "redis", "bench", "other", "machine"];

    public static string Render(BenchReport report)
    {
        var s = new StringBuilder();
        var repeat = report.Settings.Repeat;
        s.AppendLine(repeat > 1 ? $"Results (median of {repeat} runs)" : "Results (1 run)");
        var workflowRows = report.Scenarios.SelectMany(sc => sc.Rows).Any(r => IsWorkflow(r.Median));
        if (!workflowRows || report.Scenarios.Any(sc => sc.Rows.Count == 0 || sc.Rows.Any(r => !IsWorkflow(r.Median))))
        {
            AppendTable(s, report, Main, f => !IsWorkflow(f), listNotRun: true);
        }

        if (workflowRows)
        {
            s.AppendLine();
            s.AppendLine("Workflows: runs of echo nodes through POST /workflows?wait=5s; step = a node's start minus the end of the predecessor that released it");
            AppendTable(s, report, Workflows, IsWorkflow, listNotRun: false);
        }

        s.AppendLine();
        s.AppendLine("CPU time per 1,000 jobs (workflow rows: per 1,000 nodes) in ms (in brackets: cores kept busy during the measurement, top's %CPU / 100);");
        s.AppendLine(CultureInfo.InvariantCulture, $"machine = every process and the kernel on all {report.Machine.Cores} cores; other = machine minus the processes measured");
        AppendTable(s, report, [.. CpuRoles.Select(role => new Column(role, f => Cpu(f, role)))], _ => true, listNotRun: false);

        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"Background Redis traffic while idle (heartbeats, controller ticks): {report.BackgroundRedisCmdsPerS:F1} commands/s.");
        var busiest = report.Scenarios.SelectMany(sc => sc.Rows).Select(r => r.Median.GetValueOrDefault("cpu_cores_other")).DefaultIfEmpty().Max();
        if (busiest > OtherLoadWarning)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"WARNING: processes outside this benchmark used up to {busiest:F2} cores during measurements (column other); the figures understate ExeSys on a quiet machine. Re-run when the machine is idle (--wait-quiet helps).");
        }

        if (report.Machine.Damon.Count > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"This machine runs DAMON ({string.Join("; ", report.Machine.Damon)}). Its access sampling reaches Redis's pages in proportion to Redis's size; on the VM in the README it raised the retained row's p99 by 1-3 ms, and not with DAMON off (bench/README.md, \"Retained jobs\").");
        }

        foreach (var note in report.Notes)
        {
            s.AppendLine(note);
        }

        return s.ToString();
    }

    private static bool IsWorkflow(Figures f) => f.ContainsKey("nodes_per_run");

    private static void AppendTable(StringBuilder s, BenchReport report, IReadOnlyList<Column> columns, Func<Figures, bool> include, bool listNotRun)
    {
        var rows = new List<string[]> { columns.Select(c => c.Header).Prepend("scenario").ToArray() };
        var unavailable = new List<(string Name, string Status)>();
        foreach (var scenario in report.Scenarios)
        {
            if (scenario.Rows.Count == 0)
            {
                unavailable.Add((scenario.Name, scenario.Status));
                continue;
            }

            rows.AddRange(scenario.Rows.Where(r => include(r.Median)).Select(r => columns.Select(c => c.Cell(r.Median)).Prepend(r.Label).ToArray()));
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
            s.AppendLine(string.Join("  ", cells).TrimEnd());
            if (r == 0)
            {
                s.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }

        foreach (var (name, status) in listNotRun ? unavailable : [])
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"{name.PadRight(widths[0])}  {status}");
        }
    }

    private static string Number(Figures f, string key, string format) =>
        f.TryGetValue(key, out var v) && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Cpu(Figures f, string role) =>
        f.TryGetValue($"cpu_ms_per_1k_jobs_{role}", out var ms) && f.TryGetValue($"cpu_cores_{role}", out var cores)
            ? string.Create(CultureInfo.InvariantCulture, $"{ms:N0} ({cores:F2})")
            : "-";
}
