using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IStoreMaintenance"/> on Redis: expired leases go back through job_release.lua (each one a failed attempt,
/// the last of which fails the job), due retries through queue_due.lua.
/// </summary>
public sealed class RedisStoreMaintenance(IConnectionMultiplexer redis, RedisKeys keys, RedisLeaseRelease release, ILogger<RedisStoreMaintenance> logger) : IStoreMaintenance
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<int> RecoverExpiredLeasesAsync(int max)
    {
        var expired = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.QueueExpired, [keys.Inflight], [max]))!;
        if (expired.Length == 0)
        {
            return 0;
        }

        var jobs = expired.Select(m => (JobRef.Parse((string)m!), string.Empty)).ToList();
        var failed = await release.ReleaseAsync(jobs);
        logger.LogWarning("Took back {Count} job(s) whose lease expired: {Jobs}", jobs.Count, string.Join(", ", jobs.Select(j => j.Item1)));
        foreach (var (job, error) in failed)
        {
            // A poison pill: its function keeps killing (or freezing) the workers that run it.
            logger.LogError("Failed {Job}: {Error}.", job, error);
        }
        return jobs.Count;
    }

    public async Task<int> PromoteDueRetriesAsync(int max) =>
        (int)await Db.EvaluateAsync(LuaScripts.QueueDue, [keys.Scheduled, keys.Ready], [keys.WakeChannelName, max]);
}
