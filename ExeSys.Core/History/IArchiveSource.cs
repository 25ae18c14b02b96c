using ExeSys.Core.Jobs;

namespace ExeSys.Core.History;

/// <summary>
/// One job as the archive reads it from live storage, typed. Every value is null when storage does not hold it
/// (a node never started has no <see cref="Started"/>, a job that never failed no <see cref="Errors"/>).
/// </summary>
/// <param name="State">The state code (0..4).</param>
/// <param name="Errors">Every failed attempt's error, oldest first.</param>
/// <param name="RetryAt">Set while the job waits in state 1 for another attempt (a retry or a deferral).</param>
/// <param name="Skipped">A graph node skipped because no edge into it was taken.</param>
/// <param name="NextJson">A graph node's outgoing edges (JSON array).</param>
/// <param name="ResultJson">The EOJ of a finished job, as JSON text.</param>
public sealed record JobRecord(
    int? State,
    string? To,
    string? Cmd,
    string? DataJson,
    int? Priority,
    DateTime? Created,
    DateTime? Updated,
    DateTime? Started,
    DateTime? Finished,
    int? Attempts,
    string? Worker,
    string? Error,
    IReadOnlyList<string>? Errors,
    DateTime? RetryAt,
    bool Skipped,
    string? NextJson,
    string? ResultJson)
{
    public bool Ended => State is (int)JobState.DataAvailable or (int)JobState.Error;
}

/// <summary>One backlog entry as the archiver found it in live storage.</summary>
/// <param name="Entry">The backlog entry that led here.</param>
/// <param name="Job">The job to archive: the entry itself, or the run a node entry belongs to.</param>
public sealed record ArchiveItem(JobRef Entry, ArchiveItemKind Kind, JobRef Job, JobRecord Record)
{
    /// <summary>Later steps of a failed step chain that are not archived yet (step protocol only).</summary>
    public IReadOnlyList<JobRef> Cascade { get; init; } = [];

    /// <summary>A graph run's phase (running, paused, done, failed, cancelled).</summary>
    public string? Phase { get; init; }

    /// <summary>A graph run's operator actions, as (label, ms).</summary>
    public IReadOnlyList<(string Label, long AtMs)> OperatorLog { get; init; } = [];

    /// <summary>A graph run's nodes, in definition order.</summary>
    public IReadOnlyList<ArchiveNode> Nodes { get; init; } = [];

    public bool Ended => Record.Ended;
}

public sealed record ArchiveNode(string Name, JobRecord Record);

public enum ArchiveItemKind
{
    /// <summary>The keys are gone: already archived and expired, so there is nothing left to do.</summary>
    Gone,

    Job,

    /// <summary>A graph run (the entry was one of its nodes, or the run itself): archived whole.</summary>
    Run,
}

/// <summary>
/// The live-storage side of archiving into MongoDB, for the controller's archiver: the backlog of ended jobs, reading
/// a job or run as typed records, and letting its live state expire once it is archived.
/// </summary>
public interface IArchiveSource
{
    /// <summary>Takes up to <paramref name="max"/> due entries, reserved for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<JobRef>> ClaimAsync(int max, TimeSpan lease);

    /// <summary>Adds ended jobs that reached their end without a worker's ack (a cancelled run, a step failed by its chain).</summary>
    Task AddAsync(IReadOnlyCollection<JobRef> jobs);

    /// <summary>How many ended jobs wait to be archived.</summary>
    Task<long> CountAsync();

    /// <summary>Removes archived entries.</summary>
    Task AckAsync(IReadOnlyCollection<JobRef> entries);

    Task<ArchiveItem> ReadAsync(JobRef entry);

    /// <summary>
    /// Gives an archived job (or run) the hot retention and leaves its tombstone. Fenced: a job that has not ended
    /// keeps its keys. Returns whether it applied.
    /// </summary>
    Task<bool> MarkArchivedAsync(ArchiveItem item);
}
