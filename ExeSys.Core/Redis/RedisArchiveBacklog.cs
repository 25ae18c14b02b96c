using System.Globalization;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>One backlog entry as the archiver found it in Redis.</summary>
public sealed record ArchiveItem(JobRef Entry, ArchiveItemKind Kind, JobRef Job, IReadOnlyDictionary<string, string> Fields, string? DataAvailable)
{
    /// <summary>Later steps of a failed step chain that are not archived yet (step protocol only).</summary>
    public IReadOnlyList<JobRef> Cascade { get; init; } = [];

    /// <summary>A graph run's phase (running, paused, done, failed, cancelled).</summary>
    public string? Phase { get; init; }

    /// <summary>A graph run's operator actions, as (label, ms).</summary>
    public IReadOnlyList<(string Label, long AtMs)> OperatorLog { get; init; } = [];

    /// <summary>A graph run's nodes, in definition order.</summary>
    public IReadOnlyList<ArchiveNode> Nodes { get; init; } = [];

    public bool Ended => Fields.TryGetValue("st", out var st) && st is "3" or "4";
}

public sealed record ArchiveNode(string Name, IReadOnlyDictionary<string, string> Fields, string? DataAvailable);

public enum ArchiveItemKind
{
    /// <summary>The keys are gone: already archived and expired, so there is nothing left to do.</summary>
    Gone,

    Job,

    /// <summary>A graph run (the entry was one of its nodes, or the run itself): archived whole.</summary>
    Run,
}

/// <summary>
/// The Redis side of archiving into MongoDB: the backlog of ended jobs (queue slot), reading a job or run for the
/// archive (its own slot), and letting its keys expire once it is archived. Every call is one atomic script or command
/// in one slot.
/// </summary>
public sealed class RedisArchiveBacklog(IConnectionMultiplexer redis, RedisKeys keys, IOptions<JobOptions> jobs, IOptions<MongoOptions> mongo, TimeProvider time)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>Takes up to <paramref name="max"/> due entries, reserved for <paramref name="lease"/>.</summary>
    public async Task<IReadOnlyList<JobRef>> ClaimAsync(int max, TimeSpan lease)
    {
        var due = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.ArchiveClaim, [keys.ArchiveBacklog], [max, (long)lease.TotalMilliseconds]))!;
        return [.. due.Select(m => JobRef.Parse((string)m!))];
    }

    /// <summary>Adds ended jobs that reached their end without a worker's ack (a cancelled run, a step failed by its chain).</summary>
    public async Task AddAsync(IReadOnlyCollection<JobRef> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await Db.SortedSetAddAsync(keys.ArchiveBacklog, [.. jobs.Select(j => new SortedSetEntry(j.Member, now))], SortedSetWhen.NotExists);
    }

    public Task<long> CountAsync() => Db.SortedSetLengthAsync(keys.ArchiveBacklog);

    /// <summary>Removes archived entries.</summary>
    public Task AckAsync(IReadOnlyCollection<JobRef> entries) =>
        entries.Count == 0 ? Task.CompletedTask : Db.SortedSetRemoveAsync(keys.ArchiveBacklog, [.. entries.Select(e => (RedisValue)e.Member)]);

    public async Task<ArchiveItem> ReadAsync(JobRef entry)
    {
        var r = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.ArchiveRead, [keys.Status(entry)],
            [keys.Prefix, entry.JobId, entry.From]))!;
        switch ((string)r[0]!)
        {
            case "job":
                return new ArchiveItem(entry, ArchiveItemKind.Job, entry, Pairs(r[1]), (string?)r[2])
                {
                    Cascade = [.. ((RedisResult[])r[3]!).Select(s => new JobRef((string)s!, entry.JobId))],
                };
            case "run":
                var nodes = new List<ArchiveNode>();
                for (var i = 6; i + 2 < r.Length; i += 3)
                {
                    nodes.Add(new ArchiveNode((string)r[i]!, Pairs(r[i + 1]), (string?)r[i + 2]));
                }

                return new ArchiveItem(entry, ArchiveItemKind.Run, new JobRef((string)r[1]!, entry.JobId), Pairs(r[2]), (string?)r[3])
                {
                    Phase = (string?)r[4],
                    OperatorLog = [.. ((RedisResult[])r[5]!).Select(l => ParseLog((string)l!))],
                    Nodes = nodes,
                };
            default:
                return new ArchiveItem(entry, ArchiveItemKind.Gone, entry, new Dictionary<string, string>(), null);
        }
    }

    /// <summary>
    /// Gives an archived job (or run) the hot retention and leaves its tombstone. Fenced: a job that has not ended
    /// keeps its keys. Returns whether it applied.
    /// </summary>
    public async Task<bool> MarkArchivedAsync(ArchiveItem item)
    {
        var retention = (long)jobs.Value.Retention.TotalMilliseconds;
        var historyTtl = mongo.Value.HistoryTtl;
        var tombstone = historyTtl == TimeSpan.Zero ? 0 : retention + (long)historyTtl.TotalMilliseconds;
        var applied = await Db.EvaluateAsync(LuaScripts.ArchiveDone,
            [keys.Status(item.Job), keys.Tombstone(item.Job)],
            [retention, tombstone, keys.Prefix, item.Job.JobId, item.Kind == ArchiveItemKind.Run ? "run" : "job"]);
        return (int)applied == 1;
    }

    private static Dictionary<string, string> Pairs(RedisResult flat)
    {
        var values = (RedisResult[])flat!;
        var map = new Dictionary<string, string>(values.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < values.Length; i += 2)
        {
            map[(string)values[i]!] = (string?)values[i + 1] ?? "";
        }

        return map;
    }

    private static (string, long) ParseLog(string entry)
    {
        var bar = entry.LastIndexOf('|');
        return bar < 0 ? (entry, 0) : (entry[..bar], long.Parse(entry[(bar + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture));
    }
}
