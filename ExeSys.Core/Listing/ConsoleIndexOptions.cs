using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Listing;

/// <summary>
/// The bounds of the console's indexes (RedisKeys.RecentJobs and RecentRuns), which let the console list jobs and runs
/// without a scan of the keyspace.
/// </summary>
public sealed class ConsoleIndexOptions
{
    public const string Section = "ExeSys:Console";

    /// <summary>
    /// How many of a tenant's newest jobs its recent-jobs index keeps (the oldest go first). The trim is Redis's
    /// approximate one (XADD MAXLEN ~), which drops whole stream nodes only, so an index may hold up to one node more
    /// (stream-node-max-entries, 100 by default).
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "ExeSys:Console:RecentJobs must be 1..10000000.")]
    public int RecentJobs { get; set; } = 100_000;

    /// <summary>How many of a tenant's newest graph runs its recent-runs index keeps.</summary>
    [Range(1, 10_000_000, ErrorMessage = "ExeSys:Console:RecentRuns must be 1..10000000.")]
    public int RecentRuns { get; set; } = 10_000;

    /// <summary>
    /// The most index entries one list request looks at. A page that is not full by then ends with a cursor, so the
    /// console loads more on request instead of one request walking the whole index.
    /// </summary>
    [Range(10, 1_000_000, ErrorMessage = "ExeSys:Console:MaxExamined must be 10..1000000.")]
    public int MaxExamined { get; set; } = 5_000;
}
