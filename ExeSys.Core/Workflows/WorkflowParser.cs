using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Text;

namespace ExeSys.Core.Workflows;

/// <summary>
/// Reads and checks a graph at submit time: <c>{"start": [...], "nodes": {"name": {"cmd", "data", "next", "retry",
/// "timeout"}}}</c>. Every problem is reported against the nodes it concerns (cycles, unknown nodes, edges to nowhere,
/// nodes no path reaches, unknown functions), so a 400 can name them, and nothing is written unless all is well.
/// </summary>
public static class WorkflowParser
{
    private static readonly string[] NodeFields = ["cmd", "data", "next", "retry", "timeout"];
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    /// <summary>The most nodes of one graph (see <see cref="ScriptLimits.MaxWorkflowNodes"/> for why).</summary>
    public const int MaxNodes = ScriptLimits.MaxWorkflowNodes;

    /// <param name="graph">The object holding <c>start</c> and <c>nodes</c>.</param>
    /// <param name="isKnownFunction">Whether a live worker offers a function.</param>
    /// <param name="reserved">Names a node may not take (the run's own <c>from</c>).</param>
    public static WorkflowDefinition? Parse(JsonElement graph, Func<string, bool> isKnownFunction, int maxIdLength, IReadOnlyCollection<string> reserved, Dictionary<string, string[]> errors)
    {
        void Error(string where, string message) =>
            errors[where] = errors.TryGetValue(where, out var list) ? [.. list, message] : [message];

        if (!graph.TryGetProperty("nodes", out var nodesElement) || nodesElement.ValueKind != JsonValueKind.Object)
        {
            Error("nodes", "'nodes' is required: an object of node name → {\"cmd\", \"data\", \"next\"}.");
            return null;
        }

        // Counted before anything else is read, so an oversized graph costs no parsing and gets one clear error.
        var count = nodesElement.EnumerateObject().Count();
        if (count > MaxNodes)
        {
            Error("nodes", string.Create(CultureInfo.InvariantCulture, $"A workflow may have at most {MaxNodes:N0} nodes; this one has {count:N0}."));
            return null;
        }

        var nodes = new List<WorkflowNode>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in nodesElement.EnumerateObject())
        {
            var name = property.Name;
            var where = $"nodes.{name}";
            if (!seen.Add(name))
            {
                Error(where, $"The node '{name}' is defined more than once.");
                continue;
            }

            if (JobIdentifiers.Check("node name", name, maxIdLength) is { } bad)
            {
                Error(where, bad);
                continue;
            }

            if (name is WorkflowDefinition.StartJob or WorkflowDefinition.EndJob || reserved.Contains(name))
            {
                Error(where, $"'{name}' cannot name a node: start_job, end_job and the workflow's own 'from' are reserved.");
                continue;
            }

            if (ParseNode(name, property.Value, isKnownFunction, maxIdLength, message => Error(where, message)) is { } node)
            {
                nodes.Add(node);
            }
        }

        if (nodes.Count == 0 && errors.Count == 0)
        {
            Error("nodes", "A workflow needs at least one node.");
        }

        if (errors.Count > 0)
        {
            return null;
        }

        var byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var predecessors = nodes.ToDictionary(n => n.Name, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (var edge in node.Next)
            {
                if (edge.To == WorkflowDefinition.EndJob)
                {
                    continue;
                }

                if (!byName.ContainsKey(edge.To))
                {
                    Error($"nodes.{node.Name}", $"'{node.Name}' has an edge to '{edge.To}', which is no node of this workflow (nor end_job).");
                }
                else
                {
                    predecessors[edge.To].Add(node.Name);
                }
            }
        }

        var start = ParseStart(graph, nodes, predecessors, byName, Error);
        if (errors.Count > 0)
        {
            return null;
        }

        CheckAcyclicAndReachable(nodes, start, byName, Error);
        if (errors.Count > 0)
        {
            return null;
        }

        // A start node has no edge into it (ParseStart checks): start_job leads to it.
        foreach (var name in start)
        {
            predecessors[name].Add(WorkflowDefinition.StartJob);
        }

        return new WorkflowDefinition(start, nodes, predecessors.ToDictionary(p => p.Key, IReadOnlyList<string> (p) => p.Value, StringComparer.Ordinal));
    }

    private static WorkflowNode? ParseNode(string name, JsonElement spec, Func<string, bool> isKnownFunction, int maxIdLength, Action<string> error)
    {
        if (spec.ValueKind != JsonValueKind.Object)
        {
            error($"Node '{name}' must be an object with 'cmd' and 'next'.");
            return null;
        }

        var before = 0;
        var failed = false;
        void Fail(string message)
        {
            failed = true;
            error(message);
        }

        foreach (var field in spec.EnumerateObject().Where(f => !NodeFields.Contains(f.Name)))
        {
            Fail($"Node '{name}' has an unknown field '{field.Name}'; the fields are {string.Join(", ", NodeFields)}.");
        }

        string? cmd = null;
        if (!spec.TryGetProperty("cmd", out var cmdElement) || cmdElement.ValueKind != JsonValueKind.String)
        {
            Fail($"Node '{name}' needs 'cmd', the function to run.");
        }
        else if (JobIdentifiers.Check("cmd", cmdElement.GetString()!, maxIdLength) is { } bad)
        {
            Fail($"Node '{name}': {bad}");
        }
        else if (!isKnownFunction(cmdElement.GetString()!))
        {
            Fail($"Node '{name}' runs '{cmdElement.GetString()}', which no live worker offers (GET /functions lists them).");
        }
        else
        {
            cmd = cmdElement.GetString();
        }

        var next = new List<WorkflowEdge>();
        if (!spec.TryGetProperty("next", out var nextElement) || nextElement.ValueKind != JsonValueKind.Array || nextElement.GetArrayLength() == 0)
        {
            Fail($"Node '{name}' needs 'next': the nodes it leads to, e.g. [\"other\"] or [\"end_job\"].");
        }
        else
        {
            foreach (var item in nextElement.EnumerateArray())
            {
                before = next.Count;
                if (item.ValueKind == JsonValueKind.String)
                {
                    next.Add(new WorkflowEdge(item.GetString()!, null));
                }
                else if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("to", out var to) && to.ValueKind == JsonValueKind.String)
                {
                    string? when = null;
                    if (item.TryGetProperty("when", out var whenElement))
                    {
                        if (EdgeCondition.Check(whenElement) is { } problem)
                        {
                            Fail($"Node '{name}', edge to '{to.GetString()}': {problem}");
                        }

                        when = TryCompact(whenElement);
                        if (when is null)
                        {
                            Fail($"Node '{name}', edge to '{to.GetString()}': 'when' holds a string that is not valid Unicode.");
                        }
                    }

                    next.Add(new WorkflowEdge(to.GetString()!, when));
                }
                else
                {
                    Fail($"Node '{name}': each item of 'next' is a node name or {{\"to\": name, \"when\": condition}}.");
                }

                if (next.Count > before && next[^1].To is var target && target != WorkflowDefinition.EndJob &&
                    JobIdentifiers.Check("next", target, maxIdLength) is { } badTarget)
                {
                    Fail($"Node '{name}': {badTarget}");
                }
            }

            foreach (var duplicate in next.GroupBy(e => e.To, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                Fail($"Node '{name}' has more than one edge to '{duplicate.Key}'.");
            }
        }

        var (maxAttempts, backoffMs) = (0, 0);
        if (spec.TryGetProperty("retry", out var retry))
        {
            if (retry.ValueKind != JsonValueKind.Object)
            {
                Fail($"Node '{name}': 'retry' is {{\"max_attempts\": n, \"backoff\": \"1s\"}}.");
            }
            else
            {
                if (retry.TryGetProperty("max_attempts", out var max) &&
                    (max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out maxAttempts) || maxAttempts is < 1 or > 100))
                {
                    Fail($"Node '{name}': 'retry.max_attempts' must be a whole number 1..100.");
                }

                if (retry.TryGetProperty("backoff", out var backoff))
                {
                    if (!DurationText.TryParse(backoff, MaxDuration, out var b))
                    {
                        Fail($"Node '{name}': 'retry.backoff' must be a duration such as \"500ms\" or \"2s\" (at most 1 day).");
                    }

                    backoffMs = Math.Max(1, (int)b.TotalMilliseconds);
                }
            }
        }

        var timeoutMs = 0;
        if (spec.TryGetProperty("timeout", out var timeout))
        {
            if (!DurationText.TryParse(timeout, MaxDuration, out var t) || t <= TimeSpan.Zero)
            {
                Fail($"Node '{name}': 'timeout' must be a positive duration such as \"30s\" (at most 1 day).");
            }

            timeoutMs = Math.Max(1, (int)t.TotalMilliseconds);
        }

        var data = spec.TryGetProperty("data", out var d) ? TryCompact(d) : "null";
        if (data is null)
        {
            Fail($"Node '{name}': 'data' holds a string that is not valid Unicode (a lone surrogate such as \\ud800).");
        }

        return failed ? null : new WorkflowNode(name, cmd!, data!, next, maxAttempts, timeoutMs, backoffMs);
    }

    private static List<string> ParseStart(JsonElement graph, List<WorkflowNode> nodes, Dictionary<string, List<string>> predecessors,
        Dictionary<string, WorkflowNode> byName, Action<string, string> error)
    {
        if (!graph.TryGetProperty("start", out var startElement))
        {
            var roots = nodes.Where(n => predecessors[n.Name].Count == 0).Select(n => n.Name).ToList();
            if (roots.Count == 0)
            {
                error("nodes", $"Every node has a predecessor, so nothing can start: the graph has a cycle through {string.Join(", ", nodes.Select(n => n.Name))}.");
            }

            return roots;
        }

        if (startElement.ValueKind != JsonValueKind.Array || startElement.GetArrayLength() == 0 ||
            startElement.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
        {
            error("start", "'start' must be a non-empty array of node names: the nodes start_job leads to.");
            return [];
        }

        var start = startElement.EnumerateArray().Select(s => s.GetString()!).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in start)
        {
            if (!byName.ContainsKey(name))
            {
                error("start", $"'start' names '{name}', which is no node of this workflow.");
            }
            else if (predecessors[name].Count > 0)
            {
                error($"nodes.{name}", $"'{name}' is a start node but also has edges into it from {string.Join(", ", predecessors[name])}; a start node runs at once, so it cannot wait for them.");
            }
        }

        return start;
    }

    private static void CheckAcyclicAndReachable(List<WorkflowNode> nodes, List<string> start, Dictionary<string, WorkflowNode> byName, Action<string, string> error)
    {
        // Kahn's algorithm: what never reaches in-degree zero sits on, or behind, a cycle.
        var indegree = nodes.ToDictionary(n => n.Name, _ => 0, StringComparer.Ordinal);
        foreach (var edge in nodes.SelectMany(n => n.Next).Where(e => e.To != WorkflowDefinition.EndJob))
        {
            indegree[edge.To]++;
        }

        var ready = new Queue<string>(indegree.Where(kv => kv.Value == 0).Select(kv => kv.Key));
        var sorted = new HashSet<string>(StringComparer.Ordinal);
        while (ready.TryDequeue(out var name))
        {
            sorted.Add(name);
            foreach (var edge in byName[name].Next.Where(e => e.To != WorkflowDefinition.EndJob))
            {
                if (--indegree[edge.To] == 0)
                {
                    ready.Enqueue(edge.To);
                }
            }
        }

        var cyclic = nodes.Select(n => n.Name).Where(n => !sorted.Contains(n)).ToList();
        if (cyclic.Count > 0)
        {
            error("nodes", $"The graph has a cycle through {string.Join(", ", cyclic)}; workflows are directed acyclic graphs.");
            return;
        }

        var reached = new HashSet<string>(start, StringComparer.Ordinal);
        var frontier = new Stack<string>(start);
        while (frontier.TryPop(out var name))
        {
            foreach (var edge in byName[name].Next.Where(e => e.To != WorkflowDefinition.EndJob && reached.Add(e.To)))
            {
                frontier.Push(edge.To);
            }
        }

        foreach (var node in nodes.Where(n => !reached.Contains(n.Name)))
        {
            error($"nodes.{node.Name}", $"No path from start_job reaches '{node.Name}', so it could never run.");
        }

        if (!nodes.Any(n => reached.Contains(n.Name) && n.Next.Any(e => e.To == WorkflowDefinition.EndJob)))
        {
            error("nodes", "No path from start_job reaches end_job: add \"end_job\" to the 'next' of the last node(s).");
        }
    }

    /// <summary>The compact text of a JSON value, or null when a string in it is not valid Unicode (a lone surrogate such as \ud800).</summary>
    public static string? TryCompact(JsonElement element)
    {
        try
        {
            return Compact(element);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public static string Compact(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
