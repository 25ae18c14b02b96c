using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Configuration;

public sealed class RedisOptions
{
    public const string Section = "ExeSys:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>.</summary>
    [Required(ErrorMessage = "ExeSys:Redis:Connection must name the Redis server, e.g. 127.0.0.1:6379.")]
    public string Connection { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of every ExeSys key. No ':', braces or whitespace, so it cannot change key structure or hash tags.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,32}$", ErrorMessage = "ExeSys:Redis:KeyPrefix must be 1-32 of A-Z a-z 0-9 _ . -")]
    public string KeyPrefix { get; set; } = "exesys";

    /// <summary>
    /// On a single Redis (not a cluster), some scripts take keys of two hash slots to save round trips: a lone submit
    /// writes the job and enqueues it (or starts it for an idle worker) in one script, a claim starts the jobs it takes,
    /// and a cancelled run goes onto the archive backlog in the cancel script. False keeps every script to one slot, as
    /// on a cluster: for a proxy that shards keys by slot. On Redis Cluster scripts always keep to one slot.
    /// </summary>
    public bool CombineSlots { get; set; } = true;

    /// <summary>
    /// Run even when Redis's maxmemory-policy evicts keys (anything but noeviction). Off: every process refuses to
    /// start, and stops, on such a Redis, since eviction silently drops jobs, queue entries, leases and tombstones.
    /// On: it runs, with a loud warning at every connection.
    /// </summary>
    public bool AllowEviction { get; set; }

    /// <summary>How long to wait for a connection, in milliseconds.</summary>
    [Range(100, 60_000, ErrorMessage = "ExeSys:Redis:ConnectTimeoutMs must be 100..60000.")]
    public int ConnectTimeoutMs { get; set; } = 2000;

    /// <summary>How long one command may take before it fails, in milliseconds. Keeps the API from hanging when Redis is gone.</summary>
    [Range(100, 60_000, ErrorMessage = "ExeSys:Redis:OperationTimeoutMs must be 100..60000.")]
    public int OperationTimeoutMs { get; set; } = 1000;
}
