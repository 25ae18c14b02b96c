using System.Globalization;
using ExeSys.Core.Jobs;
using ExeSys.Core.Observability.Metrics;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The one call of job_finish.lua, shared by a worker recording its outcome (<see cref="RedisWorkerConnection"/>) and
/// the controller failing a job whose last attempt lost its worker (<see cref="RedisLeaseRelease"/>), so a job ends the
/// same way whoever ends it: its workflow advances or fails, a long-poll is told, and it goes to the archive.
/// </summary>
internal static class RedisJobFinish
{
    /// <returns>job_finish.lua's reply: {0} refused, {2, retry_at} scheduled again, {1, name, priority, ...} recorded.</returns>
    /// <param name="metrics">Counts the graph run this end ended, if it did.</param>
    public static async Task<RedisResult[]> EvaluateAsync(
        IDatabase db, RedisKeys keys, RetentionPolicy retention, JobRef job, string attempt, JobState outcome, string payload, long nowMs, string taken, DateTimeOffset? retryAt,
        ExeSysMetrics? metrics = null)
    {
        var reply = (RedisResult[])(await db.EvaluateAsync(
            LuaScripts.JobFinish,
            [keys.Status(job), keys.Workflow(job.JobId)],
            [attempt, (int)outcome, payload, nowMs, retention.ScriptRetentionMs, keys.DoneChannelName, job.Member,
             keys.Prefix, job.JobId, job.From, taken, retryAt?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? ""]))!;
        // A recorded end that ended its run has two values after its groups of four (RedisReplies.Promoted skips them).
        if (metrics is not null && (int)reply[0] == 1 && (reply.Length - 1) % 4 == 2)
        {
            metrics.WorkflowFinished((string)reply[^1]!, RedisReplies.ParseLong(reply[^2]) / 1000.0);
        }

        return reply;
    }
}
