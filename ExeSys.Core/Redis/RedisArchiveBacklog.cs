using System.Globalization;
using System.Text.Json;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The Redis side of archiving into MongoDB: the backlog of ended jobs (queue slot), reading a job or run for the
/// archive (its own slot), and letting its keys expire once it is archived. Every call is one atomic script or command
/// in one slot.
/// </summary>
/// <remarks>
/// Each queue has its backlog in its own slot (the ack that drops a lease adds to it in the same script), so the
/// archiver reads every known queue's: the configured ones and those workers have served (<paramref name="routing"/>;
/// without it, the default queue's only).
/// </remarks>
public sealed class RedisArchiveBacklog(IConnectionMultiplexer redis, RedisKeys keys, RetentionPolicy retention, RedisClock clock, QueueRouting? routing = null) : IArchiveSource
{
    private IDatabase Db => redis.GetDatabase();

    private async Task<IReadOnlyList<RedisKey>> BacklogsAsync()
    {
        if (routing is null)
        {
            return [keys.ArchiveBacklog];
        }

        var served = await Db.SetMembersAsync(keys.KnownQueues);
        return [.. routing.Configured.Concat(served.Select(v => (string)v!).Where(QueueRouting.IsValidName)).Distinct(StringComparer.Ordinal)
            .Select(q => keys.Queue(q).ArchiveBacklog)];
    }

    /// <summary>Takes up to <paramref name="max"/> due entries, reserved for <paramref name="lease"/>, from each queue's backlog in turn.</summary>
    public async Task<IReadOnlyList<JobRef>> ClaimAsync(int max, TimeSpan lease)
    {
        var taken = new List<JobRef>();
        foreach (var backlog in await BacklogsAsync())
        {
            if (taken.Count >= max)
            {
                break;
            }

            var due = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.ArchiveClaim, [backlog], [max - taken.Count, (long)lease.TotalMilliseconds]))!;
            taken.AddRange(due.Select(m => JobRef.Parse((string)m!)));
        }

        return taken;
    }

    /// <summary>Adds ended jobs that reached their end without a worker's ack (a cancelled run, a step failed by its chain).</summary>
    public async Task AddAsync(IReadOnlyCollection<JobRef> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var now = clock.NowMs;
        await Db.SortedSetAddAsync(keys.ArchiveBacklog, [.. jobs.Select(j => new SortedSetEntry(j.Member, now))], SortedSetWhen.NotExists);
    }

    public async Task<long> CountAsync()
    {
        long total = 0;
        foreach (var backlog in await BacklogsAsync())
        {
            total += await Db.SortedSetLengthAsync(backlog);
        }

        return total;
    }

    /// <summary>Removes archived entries (from every backlog: an entry is in its queue's, and removing a missing one changes nothing).</summary>
    public async Task AckAsync(IReadOnlyCollection<JobRef> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        RedisValue[] members = [.. entries.Select(e => (RedisValue)e.Member)];
        foreach (var backlog in await BacklogsAsync())
        {
            await Db.SortedSetRemoveAsync(backlog, members);
        }
    }

    public async Task<ArchiveItem> ReadAsync(JobRef entry)
    {
        var r = (RedisResult[])(await Db.EvaluateAsync(LuaScripts.ArchiveRead, [keys.Status(entry)],
            [keys.Prefix, entry.JobId, entry.From]))!;
        switch ((string)r[0]!)
        {
            case "job":
                return new ArchiveItem(entry, ArchiveItemKind.Job, entry, ReadRecord(r[1], r[2]))
                {
                    Cascade = [.. ((RedisResult[])r[3]!).Select(s => new JobRef((string)s!, entry.JobId))],
                };
            case "run":
                var nodes = new List<ArchiveNode>();
                for (var i = 6; i + 2 < r.Length; i += 3)
                {
                    nodes.Add(new ArchiveNode((string)r[i]!, ReadRecord(r[i + 1], r[i + 2])));
                }

                return new ArchiveItem(entry, ArchiveItemKind.Run, new JobRef((string)r[1]!, entry.JobId), ReadRecord(r[2], r[3]))
                {
                    Phase = (string?)r[4],
                    OperatorLog = [.. ((RedisResult[])r[5]!).Select(l => ParseLog((string)l!))],
                    Nodes = nodes,
                };
            default:
                return new ArchiveItem(entry, ArchiveItemKind.Gone, entry, ReadRecord(RedisResult.Create(Array.Empty<RedisValue>()), RedisResult.Create(RedisValue.Null)));
        }
    }

    /// <summary>
    /// Gives an archived job (or run) the hot retention and leaves its tombstone. Fenced: a job that has not ended
    /// keeps its keys. Returns whether it applied.
    /// </summary>
    public async Task<bool> MarkArchivedAsync(ArchiveItem item)
    {
        var applied = await Db.EvaluateAsync(LuaScripts.ArchiveDone,
            [keys.Status(item.Job), keys.Tombstone(item.Job)],
            [retention.RetentionMs, retention.TombstoneMs, keys.Prefix, item.Job.JobId, item.Kind == ArchiveItemKind.Run ? "run" : "job"]);
        return (int)applied == 1;
    }

    /// <summary>A status hash (HGETALL pairs) and its data_available text as a typed record.</summary>
    private static JobRecord ReadRecord(RedisResult flat, RedisResult dataAvailable)
    {
        var values = (RedisResult[])flat!;
        var f = new Dictionary<string, string>(values.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < values.Length; i += 2)
        {
            f[(string)values[i]!] = (string?)values[i + 1] ?? "";
        }

        return new JobRecord(
            Int(f, JobHash.State), Str(f, JobHash.To), Str(f, JobHash.Cmd), Str(f, JobHash.Data), Int(f, JobHash.Priority),
            Time(f, JobHash.Created), Time(f, JobHash.Updated), Time(f, JobHash.Started), Time(f, JobHash.Finished),
            Int(f, JobHash.Attempts), Str(f, JobHash.Worker), Str(f, JobHash.Error), Errors(f), Time(f, JobHash.RetryAt),
            f.ContainsKey(JobHash.Skipped), Str(f, JobHash.Next), RedisReplies.ExtractResult((string?)dataAvailable));
    }

    private static List<string>? Errors(Dictionary<string, string> f)
    {
        if (Str(f, JobHash.Errors) is not { } json)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray().Select(e => e.ToString())] : null;
    }

    private static string? Str(Dictionary<string, string> f, string name) => f.TryGetValue(name, out var v) ? v : null;

    private static int? Int(Dictionary<string, string> f, string name) =>
        f.TryGetValue(name, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static DateTime? Time(Dictionary<string, string> f, string name) =>
        f.TryGetValue(name, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            : null;

    private static (string, long) ParseLog(string entry)
    {
        var bar = entry.LastIndexOf('|');
        return bar < 0 ? (entry, 0) : (entry[..bar], long.Parse(entry[(bar + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture));
    }
}
