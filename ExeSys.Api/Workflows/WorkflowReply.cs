using System.Text.Json;
using System.Text.Json.Serialization;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Jobs;
using ExeSys.Core.Workflows;

namespace ExeSys.Api.Workflows;

/// <summary>One node of a workflow run, as a console would draw it.</summary>
/// <param name="State">0 start (queued), 1 standby (waiting for predecessors, or a retry), 2 processing, 3 done, 4 error.</param>
/// <param name="Skipped">True when the node did not run because no edge into it was taken.</param>
/// <param name="Next">The nodes it leads to.</param>
/// <param name="Edges">The same edges with their conditions, so a console can label them: <c>when</c> is null for an edge always taken.</param>
public sealed record WorkflowNodeReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("started"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Started,
    [property: JsonPropertyName("finished"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Finished,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonPropertyName("skipped")] bool Skipped,
    [property: JsonPropertyName("next")] IReadOnlyList<string> Next,
    [property: JsonPropertyName("edges")] IReadOnlyList<WorkflowEdgeReply> Edges);

/// <summary>An edge of a run's graph: to a node (or <c>end_job</c>), taken when <see cref="When"/> holds, or always when it is null.</summary>
public sealed record WorkflowEdgeReply(
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("when")] RawJson? When)
{
    /// <summary>The stored edges (<c>[{"to", "when"?}]</c>); a node whose edges were not kept gets its targets without conditions.</summary>
    public static IReadOnlyList<WorkflowEdgeReply> Of(string? edgesJson, IReadOnlyList<string> next)
    {
        if (edgesJson is not null)
        {
            using var doc = JsonDocument.Parse(edgesJson);
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
            {
                return [.. doc.RootElement.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("to", out var to) && to.ValueKind == JsonValueKind.String)
                    .Select(e => new WorkflowEdgeReply(
                        e.GetProperty("to").GetString()!,
                        e.TryGetProperty("when", out var when) && when.ValueKind != JsonValueKind.Null ? new RawJson(when.GetRawText()) : null))];
            }
        }

        return [.. next.Select(to => new WorkflowEdgeReply(to, null))];
    }
}

/// <summary>A whole workflow run: the run's own state and result, and every node.</summary>
/// <param name="Phase">running, paused, done, failed or cancelled.</param>
public sealed record WorkflowReply(
    [property: JsonPropertyName("run")] JobReply Run,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("nodes")] IReadOnlyList<WorkflowNodeReply> Nodes)
{
    public static WorkflowReply Of(WorkflowSnapshot s) => new(
        JobReply.Of(s.Run) with { Poll = PollPath(s.Run.Job) },
        s.Phase,
        [.. s.Nodes.Select(NodeOf)]);

    private static WorkflowNodeReply NodeOf(WorkflowNodeState n)
    {
        string[] next = n.Next.Split(',', StringSplitOptions.RemoveEmptyEntries);
        return new WorkflowNodeReply(
            n.Name,
            (int)n.State,
            n.Skipped ? "skipped" : n.State.ToWireName(),
            n.Cmd,
            n.Attempts,
            n.StartedMs is { } sa ? DateTimeOffset.FromUnixTimeMilliseconds(sa) : null,
            n.FinishedMs is { } ft ? DateTimeOffset.FromUnixTimeMilliseconds(ft) : null,
            n.State == JobState.Error ? n.Error : null,
            n.Skipped,
            next,
            WorkflowEdgeReply.Of(n.EdgesJson, next));
    }

    public static string PollPath(JobRef run) => $"/workflows/{run.From}/{TenantIds.Strip(run.JobId)}";
}

/// <summary>The result of an operator action.</summary>
public sealed record WorkflowControlReply(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("applied")] bool Applied,
    [property: JsonPropertyName("phase")] string Phase);

/// <summary>The runs "cancel all" cancelled.</summary>
public sealed record CancelAllReply(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("cancelled")] IReadOnlyList<string> Cancelled);
