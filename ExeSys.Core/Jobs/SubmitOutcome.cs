namespace ExeSys.Core.Jobs;

public enum SubmitStatus
{
    /// <summary>The job was new: it is now written in state 0 and enqueued.</summary>
    Created,

    /// <summary>The same command was already there; <see cref="SubmitOutcome.Snapshot"/> is its state.</summary>
    Existing,

    /// <summary>A job with this from/job_id exists with a different to, cmd or data. Nothing was changed.</summary>
    Conflict,

    /// <summary>
    /// The job finished long ago and has left Redis for the MongoDB history (only its tombstone is left); the caller
    /// reads it there. <see cref="SubmitOutcome.Snapshot"/> is null. Nothing was changed.
    /// </summary>
    Archived,
}

/// <param name="Snapshot">The job's state: for Created the state just written, for Existing and Conflict the stored job; null for Archived.</param>
public sealed record SubmitOutcome(SubmitStatus Status, JobSnapshot? Snapshot);
