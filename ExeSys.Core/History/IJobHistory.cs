using System.Text.Json;
using System.Text.Json.Serialization;
using ExeSys.Core.Jobs;
using ExeSys.Core.Workflows;

namespace ExeSys.Core.History;

/// <summary>
/// The read side of the MongoDB job history (the controller is its only writer). Every call throws
/// <see cref="InvalidOperationException"/> when MongoDB is not configured, and a MongoDB exception when it is unreachable.
/// </summary>
public interface IJobHistory
{
    bool Enabled { get; }

    /// <summary>An archived job as the job store would show it, for a re-send or GET after it left Redis; null when not archived.</summary>
    Task<JobSnapshot?> FindSnapshotAsync(JobRef job, CancellationToken cancellationToken);

    /// <summary>An archived graph run with every node, as the workflow store would show it; null when no run of that name is archived.</summary>
    Task<WorkflowSnapshot?> FindWorkflowAsync(JobRef run, CancellationToken cancellationToken);

    /// <summary>One archived job with its timeline (and, for a graph run, every node); null when not archived.</summary>
    Task<HistoryJob?> FindAsync(JobRef job, CancellationToken cancellationToken);

    /// <summary>Archived jobs, newest finished first, filtered, one page at a time (keyset paging on finished, ref).</summary>
    Task<HistoryPage> QueryAsync(HistoryQuery query, CancellationToken cancellationToken);

    /// <summary>A job's activity log (state changes and operator actions), in order.</summary>
    Task<IReadOnlyList<HistoryActivity>> ActivityAsync(JobRef job, CancellationToken cancellationToken);

    /// <summary>How many jobs the history holds.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>Null when MongoDB answers a ping, else the reason it does not.</summary>
    Task<string?> CheckAsync(TimeSpan timeout);
}

/// <param name="Since">Finished at or after.</param>
/// <param name="Until">Finished before.</param>
/// <param name="Cursor">The previous page's next_cursor.</param>
/// <param name="Schedule">Only the firings of this schedule: job_ids <c>&lt;name&gt;.yyyyMMddTHHmmssZ</c> (ScheduleTimes.JobId).</param>
/// <param name="Tenant">Only this tenant's jobs (<see cref="Auth.TenantIds"/>); null: every tenant's.</param>
public sealed record HistoryQuery(string? From, int? State, string? Cmd, DateTimeOffset? Since, DateTimeOffset? Until, int Limit, string? Cursor, string? Schedule = null, string? Tenant = null);

public sealed record HistoryPage(
    [property: JsonPropertyName("items")] IReadOnlyList<HistoryJob> Items,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

/// <summary>One step of a job's timeline: a state it entered, when, on which worker and attempt, and the error it carried.</summary>
/// <param name="Event">submitted, started, attempt_failed, retry, finished, failed or skipped.</param>
/// <param name="Time">Null for an earlier attempt's failure: Redis keeps those errors but not their times.</param>
public sealed record HistoryEvent(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("time")] DateTimeOffset? Time,
    [property: JsonPropertyName("worker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker,
    [property: JsonPropertyName("attempt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Attempt,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public sealed record HistoryNode(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("skipped")] bool Skipped,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonPropertyName("result"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Result,
    [property: JsonPropertyName("timeline")] IReadOnlyList<HistoryEvent> Timeline);

/// <param name="Kind">job (a single job or a step of the original protocol) or run (a graph run, with its nodes).</param>
public sealed record HistoryJob(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("resp")] string Resp,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("finished"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Finished,
    [property: JsonPropertyName("worker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Errors,
    [property: JsonPropertyName("data")] JsonElement? Data,
    [property: JsonPropertyName("result"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Result,
    [property: JsonPropertyName("phase"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Phase,
    [property: JsonPropertyName("timeline")] IReadOnlyList<HistoryEvent> Timeline,
    [property: JsonPropertyName("nodes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<HistoryNode>? Nodes,
    [property: JsonPropertyName("archived")] DateTimeOffset Archived);

/// <param name="Kind">A state change (submitted, started, attempt_failed, finished, failed, skipped) or an operator action (pause, resume, cancel, cancel_all).</param>
/// <param name="Node">The graph node it happened to, for a run's node events.</param>
public sealed record HistoryActivity(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("time")] DateTimeOffset? Time,
    [property: JsonPropertyName("node"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Node,
    [property: JsonPropertyName("state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? State,
    [property: JsonPropertyName("worker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker,
    [property: JsonPropertyName("attempt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Attempt,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);
