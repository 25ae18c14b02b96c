using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Redis;

/// <summary>
/// How long a finished job's keys stay in Redis. Without MongoDB history the job scripts give them
/// <see cref="JobOptions.Retention"/> as they end the job; with history on (<see cref="Archives"/>) they keep them, and
/// the controller's archiver gives them that retention once they are archived, leaving a tombstone.
/// </summary>
public sealed class RetentionPolicy(IOptions<JobOptions> jobs, IOptions<MongoOptions> mongo)
{
    /// <summary>Whether ended jobs go to MongoDB: the scripts that end a job or drop its lease then put it on the archive backlog.</summary>
    public bool Archives { get; } = mongo.Value.Enabled;

    /// <summary>The hot retention of a finished job, in ms.</summary>
    public long RetentionMs => (long)jobs.Value.Retention.TotalMilliseconds;

    /// <summary>The TTL the job scripts give a finished job (their retention_ms): the retention, or 0 (keep) when the archiver sets it after archiving.</summary>
    public long ScriptRetentionMs => Archives ? 0 : RetentionMs;

    /// <summary>
    /// An archived job's tombstone's TTL, in ms from archiving: the hot retention, then as long as the history keeps
    /// the job (<see cref="MongoOptions.HistoryTtl"/>), or <see cref="MongoOptions.TombstoneTtl"/> when the history is
    /// kept forever. Always bounded: after it, a re-send creates the job again.
    /// </summary>
    public long TombstoneMs => RetentionMs + (long)(mongo.Value.HistoryTtl == TimeSpan.Zero ? mongo.Value.TombstoneTtl : mongo.Value.HistoryTtl).TotalMilliseconds;
}
