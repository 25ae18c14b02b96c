using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ExeSys.Core.Auth;
using ExeSys.Core.Jobs;
using ExeSys.Core.Listing;
using ExeSys.Core.Queues;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// The console's per-tenant indexes (<see cref="RedisKeys.RecentJobs"/>, <see cref="RedisKeys.RecentRuns"/>): how
/// submits add to them, and the lists read from them.
/// <list type="bullet">
/// <item>Each index is a stream: one entry per job (field <c>m</c> = <c>from:job_id</c>), its id Redis's add time. Ids
/// grow strictly with every add, so jobs submitted in one millisecond keep their order, and a cursor is an id.</item>
/// <item>Adding: on a single Redis (<see cref="RedisTopology.SubmitIndexes"/>) job_submit.lua and workflow_submit.lua
/// add a new job or run themselves, one XADD in a script that already runs; elsewhere (a cluster, where the index is
/// another slot) the submitter adds it with index_add.lua after its write, in the same round trip as its enqueue. A
/// crash between the two leaves a job out of the console's list, never a listed job that does not exist.</item>
/// <item>Bound: every XADD trims with MAXLEN ~ to ExeSys:Console:RecentJobs (RecentRuns), which drops whole stream
/// nodes only: no per-add trim cost, and an index holds at most one node (stream-node-max-entries) over its bound.</item>
/// <item>Listing walks an index newest first (XREVRANGE), in batches, reading each candidate's hash in one pipelined
/// batch; from and the job_id prefix are matched on the member before any read, the time range is the ids' range. An
/// entry whose job has expired is skipped and removed (XDEL). A request looks at ExeSys:Console:MaxExamined entries at
/// most, then answers with what it found and a cursor.</item>
/// </list>
/// </summary>
public sealed class RedisJobIndex(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    RedisTopology topology,
    QueueRouting routing,
    IOptions<ConsoleIndexOptions> options) : IJobIndex
{
    private const int MaxBatch = 500;
    private static readonly RedisValue MemberField = "m";

    private static readonly RedisValue[] JobFields = ["st", "cmd", "q", "at", "ct", "ut", "sa", "ft", "wk", "err", "kind"];
    private static readonly RedisValue[] RunFields = ["st", "ct", "ut", "ft", "err", "kind"];
    private static readonly RedisValue[] RunWorkflowFields = ["state", "nodes"];

    private readonly ConsoleIndexOptions _options = options.Value;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>An index a submit script adds to itself: its key, and the bound it keeps about to.</summary>
    internal readonly record struct InScript(RedisKey Key, RedisValue Bound);

    /// <summary>The recent-jobs index job_submit.lua adds a new job to, where it may (a single Redis); else null.</summary>
    internal InScript? JobsInScript(JobRef job) =>
        topology.SubmitIndexes ? new InScript(keys.RecentJobs(TenantIds.TenantOf(job.JobId)), _options.RecentJobs) : null;

    /// <summary>The recent-runs index workflow_submit.lua adds a new run to, where it may; else null.</summary>
    internal InScript? RunsInScript(JobRef run) =>
        topology.SubmitIndexes ? new InScript(keys.RecentRuns(TenantIds.TenantOf(run.JobId)), _options.RecentRuns) : null;

    /// <summary>
    /// Adds new jobs to their tenants' indexes in the index's own slot (where no submit script may take it), one
    /// index_add.lua per tenant. The index is a view: a failure here fails no submit, it leaves the jobs unlisted.
    /// </summary>
    internal async Task AddJobsAsync(IReadOnlyCollection<JobRef> created)
    {
        if (created.Count == 0)
        {
            return;
        }

        var adds = created.GroupBy(c => TenantIds.TenantOf(c.JobId), StringComparer.Ordinal)
            .Select(g => AddAsync(keys.RecentJobs(g.Key), _options.RecentJobs, g));
        await Task.WhenAll(adds);
    }

    /// <summary>Adds a new run to its tenant's recent-runs index, as <see cref="AddJobsAsync"/> does jobs.</summary>
    internal Task AddRunAsync(JobRef run) => AddAsync(keys.RecentRuns(TenantIds.TenantOf(run.JobId)), _options.RecentRuns, [run]);

    private async Task AddAsync(RedisKey index, int bound, IEnumerable<JobRef> entries)
    {
        RedisValue[] args = [bound, .. entries.Select(job => (RedisValue)job.Member)];
        try
        {
            await Db.EvaluateAsync(LuaScripts.IndexAdd, [index], args);
        }
        catch (RedisException)
        {
            // The job is written and acknowledged; only the console's list misses it.
        }
    }

    public Task<IndexPage<JobListItem>> ListJobsAsync(JobListQuery query, CancellationToken cancellationToken)
    {
        var index = keys.RecentJobs(query.Tenant);
        return WalkAsync(index, query.SinceMs, query.UntilMs, query.Cursor, query.Limit,
            job => TenantIds.Belongs(query.Tenant, job.JobId)
                && (query.From is null || string.Equals(job.From, query.From, StringComparison.Ordinal))
                && (query.Prefix is null || TenantIds.Strip(job.JobId).StartsWith(query.Prefix, StringComparison.Ordinal)),
            (batch, job) => ReadJobAsync(batch, job),
            item => (query.State is null || item.State == query.State)
                && (query.Cmd is null || string.Equals(item.Cmd, query.Cmd, StringComparison.Ordinal))
                && (query.Queue is null || string.Equals(item.Queue, query.Queue, StringComparison.Ordinal)),
            cancellationToken);
    }

    public Task<IndexPage<RunListItem>> ListRunsAsync(RunListQuery query, CancellationToken cancellationToken)
    {
        var index = keys.RecentRuns(query.Tenant);
        return WalkAsync(index, null, null, query.Cursor, query.Limit,
            run => TenantIds.Belongs(query.Tenant, run.JobId) && (query.From is null || string.Equals(run.From, query.From, StringComparison.Ordinal)),
            (batch, run) => ReadRunAsync(batch, run),
            item => query.Phase is null || string.Equals(item.Phase, query.Phase, StringComparison.Ordinal),
            cancellationToken);
    }

    private async Task<JobListItem?> ReadJobAsync(IBatch batch, JobRef job)
    {
        var f = await batch.HashGetAsync(keys.Status(job), JobFields);
        // Gone (expired or archived), or not a job the index holds (a graph node or run of the same name).
        if (f[0].IsNull || !f[10].IsNull)
        {
            return null;
        }

        var cmd = (string)f[1]!;
        return new JobListItem(job, cmd, routing.QueueOf(cmd, f[2].IsNull ? null : (string)f[2]!), (JobState)(int)f[0], (int?)f[3] ?? 0,
            (long?)f[4] ?? 0, (long?)f[5] ?? 0, (long?)f[6], (long?)f[7], (string?)f[8], (string?)f[9]);
    }

    private async Task<RunListItem?> ReadRunAsync(IBatch batch, JobRef run)
    {
        var status = batch.HashGetAsync(keys.Status(run), RunFields);
        var workflow = batch.HashGetAsync(keys.Workflow(run.JobId), RunWorkflowFields);
        var (f, w) = (await status, await workflow);
        if (f[0].IsNull || (string?)f[5] != "w")
        {
            return null;
        }

        var nodes = w[1].IsNull ? 0 : ((string)w[1]!).Split(',', StringSplitOptions.RemoveEmptyEntries).Length;
        // A run's workflow hash without a state is one that ended (as workflow_get.lua reads it).
        return new RunListItem(run, w[0].IsNull ? "done" : (string)w[0]!, (JobState)(int)f[0], (long?)f[1] ?? 0, (long?)f[2] ?? 0,
            (long?)f[3], (string?)f[4], nodes);
    }

    /// <summary>
    /// Walks <paramref name="index"/> newest first from the cursor (or <paramref name="untilMs"/>, exclusive) down to
    /// <paramref name="sinceMs"/>: members that pass <paramref name="keep"/> are read, in one pipelined batch per step,
    /// and those whose read <paramref name="match"/>es fill the page.
    /// </summary>
    private async Task<IndexPage<T>> WalkAsync<T>(
        RedisKey index, long? sinceMs, long? untilMs, string? cursor, int limit,
        Func<JobRef, bool> keep, Func<IBatch, JobRef, Task<T?>> read, Func<T, bool> match, CancellationToken cancellationToken)
        where T : class
    {
        // Stream ids: a bare millisecond is the whole of it (as a start, its first id; as an end, its last), "(" excludes.
        RedisValue max = untilMs is { } until ? (until - 1).ToString(CultureInfo.InvariantCulture) : "+";
        if (cursor is not null)
        {
            var after = DecodeCursor(cursor);
            if (untilMs is null || after.Ms < untilMs)
            {
                max = string.Create(CultureInfo.InvariantCulture, $"({after.Ms}-{after.Seq}");
            }
        }

        RedisValue min = sinceMs is { } since ? since.ToString(CultureInfo.InvariantCulture) : "-";
        var items = new List<T>();
        var gone = new List<RedisValue>();
        var examined = 0;
        RedisValue? last = null;
        var exhausted = false;
        while (items.Count < limit && examined < _options.MaxExamined && !cancellationToken.IsCancellationRequested)
        {
            var take = Math.Min(Math.Min(MaxBatch, Math.Max(limit * 2, 50)), _options.MaxExamined - examined);
            var entries = await Db.StreamRangeAsync(index, min, max, take, Order.Descending);
            exhausted = entries.Length < take;
            if (entries.Length == 0)
            {
                break;
            }

            max = "(" + entries[^1].Id;
            var batch = Db.CreateBatch();
            var reads = new List<(StreamEntry Entry, Task<T?>? Read)>(entries.Length);
            foreach (var entry in entries)
            {
                var member = entry[MemberField];
                reads.Add((entry, !member.IsNull && TryParse(member!) is { } job && keep(job) ? read(batch, job) : null));
            }

            batch.Execute();
            var stopped = false;
            foreach (var (entry, pending) in reads)
            {
                examined++;
                last = entry.Id;
                var item = pending is null ? null : await pending;
                if (pending is not null && item is null)
                {
                    gone.Add(entry.Id);
                }
                else if (item is not null && match(item))
                {
                    items.Add(item);
                    if (items.Count == limit)
                    {
                        stopped = true;
                        break;
                    }
                }
            }

            if (stopped)
            {
                // A full page: the entries after the last one looked at are the next page's, whether or not there are any.
                exhausted = false;
                break;
            }

            if (exhausted)
            {
                break;
            }
        }

        if (gone.Count > 0)
        {
            // Expired jobs leave the index lazily; the next walk skips them without a read.
            await Db.StreamDeleteAsync(index, [.. gone]);
        }

        var next = !exhausted && last is { } at ? EncodeCursor(at!) : null;
        return new IndexPage<T>(items, next, examined);
    }

    private static JobRef? TryParse(string member)
    {
        var colon = member.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 || colon == member.Length - 1 ? null : new JobRef(member[..colon], member[(colon + 1)..]);
    }

    /// <summary>The position after which the next page starts: the id of the last entry looked at, as base64url.</summary>
    public static string EncodeCursor(string id) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(id));

    /// <exception cref="FormatException">Not a cursor of <see cref="EncodeCursor"/>.</exception>
    public static (long Ms, long Seq) DecodeCursor(string cursor)
    {
        var bad = new FormatException($"cursor '{cursor}' is not one a previous page gave (pass next_cursor back unchanged).");
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw bad;
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            && long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            ? (ms, seq)
            : throw bad;
    }
}
