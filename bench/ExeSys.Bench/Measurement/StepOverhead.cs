using ExeSys.Bench.Load;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;

namespace ExeSys.Bench.Measurement;

/// <summary>
/// The time a workflow loses between its steps, read from a finished run's graph: for every node with
/// predecessors, its start minus the end of the predecessor that finished last (the one whose finish released it).
/// In a chain that is each edge. ExeSys stores start and end in whole milliseconds of the worker's clock, so each
/// gap is an integer number of ms and off by less than 1 ms either way; the mean over many gaps is not.
/// </summary>
internal static class StepOverhead
{
    public const double ResolutionMs = 1;

    /// <summary>The gaps of one run in ms, or why the run does not count as done: a node that did not run exactly once, a missing time.</summary>
    public static (List<double> GapsMs, string? Error) Of(string jobId, WorkflowGraphState graph, int expectedNodes)
    {
        var gaps = new List<double>();
        if (graph.Phase != "done" || graph.RunState != 3)
        {
            return (gaps, $"run {jobId}: phase {graph.Phase}, state {graph.RunState} (expected done, 3)");
        }

        if (graph.Nodes.Count != expectedNodes)
        {
            return (gaps, $"run {jobId}: the graph has {graph.Nodes.Count} nodes, not {expectedNodes}");
        }

        var byName = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        if (graph.Nodes.FirstOrDefault(n => n.State != 3 || n.Skipped || n.Attempts != 1 || n.Started is null || n.Finished is null) is { } bad)
        {
            return (gaps, $"run {jobId}: node {bad.Name} has state {bad.State}, skipped {bad.Skipped}, {bad.Attempts} attempt(s), started {bad.Started:O}, finished {bad.Finished:O}; every node must run once to the end");
        }

        var predecessors = graph.Nodes
            .SelectMany(n => n.Next.Where(byName.ContainsKey).Select(to => (From: n, To: to)))
            .ToLookup(e => e.To, e => e.From, StringComparer.Ordinal);
        foreach (var node in graph.Nodes.Where(n => predecessors.Contains(n.Name)))
        {
            var released = predecessors[node.Name].Max(p => p.Finished!.Value);
            gaps.Add((node.Started!.Value - released).TotalMilliseconds);
        }

        return (gaps, null);
    }

    /// <summary>
    /// The same gaps to the microsecond, from a MONITOR pass: when Redis moved each node to state 2 (inside
    /// <c>job_start</c> or the claim that took it) minus when it ran the <c>job_finish</c> of its last predecessor. Both are Redis's own clock, so the gap covers finish →
    /// ack and wake-up → claim → start, as the stored times do, without their 1 ms steps.
    /// </summary>
    public static List<double> FromScriptCalls(RedisKeys keys, WorkflowGraph graph, IReadOnlyList<string> jobIds, IReadOnlyList<(long UnixMicros, string Script, string FirstKey)> calls)
    {
        var finished = new Dictionary<string, long>(StringComparer.Ordinal);
        var started = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (micros, script, key) in calls)
        {
            if (script == "job_finish")
            {
                finished[key] = micros; // the last finish is the one that recorded the result
            }
            else
            {
                started.TryAdd(key, micros); // a node is only on the queue once it has been promoted
            }
        }

        var gaps = new List<double>();
        var predecessors = graph.Predecessors();
        foreach (var jobId in jobIds)
        {
            string Key(string node) => keys.Status(new JobRef(node, jobId)).ToString();
            foreach (var (node, preds) in predecessors)
            {
                var ends = preds.Select(p => finished.TryGetValue(Key(p), out var t) ? t : (long?)null).ToList();
                if (started.TryGetValue(Key(node), out var start) && ends.All(e => e is not null))
                {
                    gaps.Add((start - ends.Max()!.Value) / 1000.0);
                }
            }
        }

        return gaps;
    }
}
