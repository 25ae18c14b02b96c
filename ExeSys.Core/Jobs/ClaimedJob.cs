namespace ExeSys.Core.Jobs;

/// <summary>
/// A job a worker has claimed. <see cref="Attempt"/> is the fencing token: completing or failing with a stale
/// attempt number is refused, so a worker that lost its lease cannot overwrite the real result.
/// </summary>
public sealed record ClaimedJob(JobRef Job, int Attempt, string To, string Cmd, string DataJson);
