using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Stats;

/// <summary><c>ExeSys:Stats</c>: how often each worker adds what it counted to the shared run statistics (<c>GET /stats</c>).</summary>
public sealed class StatsOptions
{
    public const string Section = "ExeSys:Stats";

    /// <summary>
    /// Each worker flushes its counts at most this often, in one script call (nothing when it ran nothing): the Redis cost
    /// of the statistics is per worker per interval, not per job. Shorter: fresher numbers, more calls.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "ExeSys:Stats:FlushInterval must be between 100 ms and 10 minutes.")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);
}
