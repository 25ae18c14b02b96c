using ExeSys.Core.Redis;

namespace ExeSys.Tests.Infrastructure.Workflows;

/// <summary>
/// Everything in Redis that a run of <c>from</c>/<c>job_id</c> could have written under the prefix: every key that
/// names either (the run's and its nodes' keys, its workflow hash, the client's list of runs) and every queue entry
/// for it. A whole-prefix snapshot would also see the other fixtures' runs on the shared processes; this sees only
/// the run's own writes, so it can be compared while other work goes on.
/// </summary>
public static class RunFootprint
{
    public static async Task<IReadOnlyList<string>> TakeAsync(string prefix, string from, string jobId)
    {
        var keys = await KeyspaceSnapshot.TakeAsync(TestRedis.Connection, prefix,
            key => key.Contains(jobId, StringComparison.Ordinal) || key.Contains(from, StringComparison.Ordinal));
        var lines = keys.Entries.Select(e => $"{e.Key} = {e.Value}").ToList();

        var db = TestRedis.Connection.GetDatabase();
        var names = new RedisKeys(prefix);
        lines.AddRange((await db.ReadyAsync(names.Default)).Select(e => (string)e.Element!).Where(m => m.Contains(jobId, StringComparison.Ordinal)).Select(m => $"a lane of {names.Default.Base} holds {m}"));
        foreach (var queue in new[] { names.Inflight, names.Scheduled })
        {
            var members = await db.SortedSetRangeByRankAsync(queue);
            lines.AddRange(members.Select(m => (string)m!).Where(m => m.Contains(jobId, StringComparison.Ordinal)).Select(m => $"{queue} holds {m}"));
        }

        return lines;
    }
}
