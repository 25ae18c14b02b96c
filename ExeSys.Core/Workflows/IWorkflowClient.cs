using ExeSys.Core.Jobs;

namespace ExeSys.Core.Workflows;

/// <param name="Run">The run's own job: the client's <c>from</c> and the run's <c>job_id</c>.</param>
/// <param name="DefinitionJson">The canonical definition, compared when the same run is sent again.</param>
/// <param name="RunDataJson">The run's input, given to the start nodes as the result of <c>start_job</c>.</param>
public sealed record WorkflowRunRequest(JobRef Run, WorkflowDefinition Definition, string DefinitionJson, string RunDataJson, JobPriority Priority);

public enum WorkflowSubmitStatus
{
    Created,
    Existing,
    Conflict,

    /// <summary>A job named like one of the nodes already exists under this job_id; nothing was written.</summary>
    NameTaken,

    /// <summary>
    /// MongoDB history on: the run finished, was archived and has left Redis (its tombstone is there). Nothing was
    /// written; the caller answers from the history.
    /// </summary>
    Archived,
}

public sealed record WorkflowSubmitOutcome(WorkflowSubmitStatus Status, JobSnapshot? Snapshot, string? TakenName = null);

/// <summary>One node of a run as stored. Times are Unix ms.</summary>
/// <param name="Next">The comma list of the nodes it leads to.</param>
/// <param name="EdgesJson">Its edges with their conditions as stored, <c>[{"to", "when"?}]</c>; null when not known.</param>
public sealed record WorkflowNodeState(string Name, JobState State, string Cmd, int Attempts, long? StartedMs, long? FinishedMs, string? Error, bool Skipped, string Next, string? EdgesJson = null);

/// <param name="Phase">running, paused, done, failed or cancelled.</param>
public sealed record WorkflowSnapshot(JobSnapshot Run, string Phase, IReadOnlyList<WorkflowNodeState> Nodes);

public enum WorkflowAction
{
    Pause,
    Resume,
    Cancel,
}

/// <param name="Found">False when there is no such run.</param>
/// <param name="Applied">False when the run had already ended; <see cref="Phase"/> then says how.</param>
public sealed record WorkflowControlOutcome(bool Found, bool Applied, string Phase);

/// <summary>Graph runs, for the API: create, read, and operator control. Nodes are ordinary jobs; the workers run them and finishing a node advances its run.</summary>
public interface IWorkflowClient
{
    Task<WorkflowSubmitOutcome> SubmitAsync(WorkflowRunRequest request, bool watch);

    Task<WorkflowSnapshot?> GetAsync(JobRef run);

    Task<WorkflowControlOutcome> ControlAsync(JobRef run, WorkflowAction action);

    /// <summary>Cancels every active run of a client; returns the job_ids cancelled.</summary>
    Task<IReadOnlyList<string>> CancelAllAsync(string from, string tenant = Auth.TenantIds.DefaultTenant);
}
