using ExeSys.Core.Jobs;

namespace ExeSys.Core.Listing;

/// <summary>
/// The console's lists: a tenant's recent jobs and graph runs, newest first, filtered, one page at a time. Read from
/// bounded per-tenant indexes that submits keep, never from a scan of the keyspace.
/// </summary>
public interface IJobIndex
{
    /// <exception cref="FormatException">The cursor is not one this index gave.</exception>
    Task<IndexPage<JobListItem>> ListJobsAsync(JobListQuery query, CancellationToken cancellationToken);

    /// <exception cref="FormatException">The cursor is not one this index gave.</exception>
    Task<IndexPage<RunListItem>> ListRunsAsync(RunListQuery query, CancellationToken cancellationToken);
}

/// <summary>What to list. Every filter is optional; times are Unix ms (created at or after since, before until).</summary>
/// <param name="Prefix">The start of the job_id as its client wrote it (without the tenant's qualification).</param>
/// <param name="Queue">The queue a job runs in: the one its submit named, else its function's routed queue.</param>
public sealed record JobListQuery(
    string Tenant, JobState? State = null, string? From = null, string? Cmd = null, string? Queue = null,
    long? SinceMs = null, long? UntilMs = null, string? Prefix = null, int Limit = 50, string? Cursor = null);

/// <param name="Phase">running, paused, done, failed or cancelled.</param>
public sealed record RunListQuery(string Tenant, string? From = null, string? Phase = null, int Limit = 50, string? Cursor = null);

/// <param name="Items">The page, newest first.</param>
/// <param name="NextCursor">Where the next page starts; null when the index has nothing older.</param>
/// <param name="Examined">How many index entries this request looked at (bounded by ExeSys:Console:MaxExamined).</param>
public sealed record IndexPage<T>(IReadOnlyList<T> Items, string? NextCursor, int Examined);

/// <summary>One job as the console lists it; its job_id as stored (qualified for a non-default tenant).</summary>
public sealed record JobListItem(
    JobRef Job, string Cmd, string Queue, JobState State, int Attempts, long CreatedMs, long UpdatedMs,
    long? StartedMs, long? FinishedMs, string? Worker, string? Error);

/// <summary>One graph run as the console lists it; its job_id as stored.</summary>
/// <param name="Nodes">How many nodes the run has.</param>
public sealed record RunListItem(
    JobRef Run, string Phase, JobState State, long CreatedMs, long UpdatedMs, long? FinishedMs, string? Error, int Nodes);
