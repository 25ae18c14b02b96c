using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Listing;

/// <summary>
/// The bounds of the console's indexes (RedisKeys.RecentJobs and RecentRuns), which let the console list jobs and runs
/// without a scan of the keyspace.
/// </summary>
public sealed class ConsoleIndexOptions
{
    public const string Section = "ExeSys:Console";

    /// <summary>How many of a tenant's newest jobs its recent-jobs index keeps (the oldest go first).</summary>
    [Range(1, 10_000_000, ErrorMessage = "ExeSys:Console:RecentJobs must be 1..10000000.")]
    public int RecentJobs { get; set; } = 100_000;

    /// <summary>How many of a tenant's newest graph runs its recent-runs index keeps.</summary>
    [Range(1, 10_000_000, ErrorMessage = "ExeSys:Console:RecentRuns must be 1..10000000.")]
    public int RecentRuns { get; set; } = 10_000;

    /// <summary>
    /// Each process trims an index to its bound on every Nth add only, so a job costs one ZADD and 1/N of a trim: an
    /// index holds at most its bound plus N - 1 entries per process that adds to it.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "ExeSys:Console:TrimEvery must be 1..100000.")]
    public int TrimEvery { get; set; } = 64;

    /// <summary>
    /// The most index entries one list request looks at. A page that is not full by then ends with a cursor, so the
    /// console loads more on request instead of one request walking the whole index.
    /// </summary>
    [Range(10, 1_000_000, ErrorMessage = "ExeSys:Console:MaxExamined must be 10..1000000.")]
    public int MaxExamined { get; set; } = 5_000;
}
