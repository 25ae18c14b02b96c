namespace ExeSys.Core.Workflows;

/// <summary>An edge to <see cref="To"/>, taken when <see cref="WhenJson"/> (a condition, see <see cref="EdgeCondition"/>) holds, or always.</summary>
public sealed record WorkflowEdge(string To, string? WhenJson);

/// <param name="MaxAttempts">How many times the node runs at most (0 = the ExeSys:Jobs:MaxAttempts default).</param>
/// <param name="TimeoutMs">Cancel an attempt after this long (0 = no timeout).</param>
/// <param name="BackoffMs">Wait before the second attempt, doubling after (0 = the ExeSys:Jobs:RetryBackoff default).</param>
public sealed record WorkflowNode(string Name, string Cmd, string DataJson, IReadOnlyList<WorkflowEdge> Next, int MaxAttempts, int TimeoutMs, int BackoffMs);

/// <summary>A validated graph: acyclic, every edge lands on a node or <c>end_job</c>, every node reachable from <c>start_job</c>.</summary>
/// <param name="Predecessors">
/// Each node's incoming edges: the nodes with an edge into it, in the order of <see cref="Nodes"/>, or
/// <see cref="StartJob"/> alone for a start node. Computed once, by <see cref="WorkflowParser"/>.
/// </param>
public sealed record WorkflowDefinition(IReadOnlyList<string> Start, IReadOnlyList<WorkflowNode> Nodes, IReadOnlyDictionary<string, IReadOnlyList<string>> Predecessors)
{
    public const string StartJob = "start_job";
    public const string EndJob = "end_job";
}
