using System.Globalization;
using System.Text;
using System.Text.Json;
using ExeSys.Core.Auth;
using ExeSys.Core.Jobs;
using ExeSys.Core.Workflows;
using Microsoft.AspNetCore.WebUtilities;
using MongoDB.Bson;
using MongoDB.Driver;

namespace ExeSys.Core.History;

/// <summary><see cref="IJobHistory"/> on the MongoDB collections the controller's archiver writes.</summary>
public sealed class MongoJobHistory(ExeSysMongo mongo, HistoryCollections collections) : IJobHistory
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;

    public bool Enabled => mongo.Enabled;

    public async Task<JobSnapshot?> FindSnapshotAsync(JobRef job, CancellationToken cancellationToken) =>
        await FindDocumentAsync(job, cancellationToken) is { } doc ? ToSnapshot(job, doc) : null;

    public async Task<WorkflowSnapshot?> FindWorkflowAsync(JobRef run, CancellationToken cancellationToken)
    {
        var doc = await FindDocumentAsync(run, cancellationToken);
        if (doc is null || Str(doc, HistoryFields.Kind) != "run" || !doc.TryGetValue(HistoryFields.Nodes, out var n) || !n.IsBsonArray)
        {
            return null;
        }

        var nodes = n.AsBsonArray.Select(x => x.AsBsonDocument).Select(x =>
        {
            var timeline = Timeline(x);
            return new WorkflowNodeState(
                Str(x, HistoryFields.Name) ?? "",
                (JobState)x[HistoryFields.State].ToInt32(),
                Str(x, HistoryFields.Cmd) ?? "",
                x.GetValue(HistoryFields.Attempts, 0).ToInt32(),
                timeline.LastOrDefault(e => e.Event == "started")?.Time?.ToUnixTimeMilliseconds(),
                timeline.LastOrDefault(e => e.Event is "finished" or "failed" or "skipped")?.Time?.ToUnixTimeMilliseconds(),
                Str(x, HistoryFields.Error),
                x.GetValue(HistoryFields.Skipped, false).ToBoolean(),
                NextOf(Str(x, HistoryFields.Next)),
                Str(x, HistoryFields.Next));
        });
        return new WorkflowSnapshot(ToSnapshot(run, doc), Str(doc, HistoryFields.Phase) ?? "done", [.. nodes]);
    }

    public async Task<HistoryJob?> FindAsync(JobRef job, CancellationToken cancellationToken) =>
        await FindDocumentAsync(job, cancellationToken) is { } doc ? ToJob(doc) : null;

    public async Task<HistoryPage> QueryAsync(HistoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filters = new List<FilterDefinition<BsonDocument>>();
        if (query.From is not null)
        {
            filters.Add(Filter.Eq(HistoryFields.From, query.From));
        }

        if (query.State is { } state)
        {
            filters.Add(Filter.Eq(HistoryFields.State, state));
        }

        if (query.Cmd is not null)
        {
            filters.Add(Filter.Eq(HistoryFields.Cmd, query.Cmd));
        }

        if (query.Schedule is not null)
        {
            // A schedule's firings are named by it (ScheduleTimes.JobId): an anchored regex, which an index on job_id serves as a range.
            filters.Add(new BsonDocument(HistoryFields.JobId, new BsonDocument("$regex",
                "^" + System.Text.RegularExpressions.Regex.Escape(query.Schedule) + @"\.\d{8}T\d{6}Z$")));
        }

        if (query.Tenant is { } tenant)
        {
            // The caller's tenant only, in the query itself, so a page is full however many jobs other tenants archived:
            // an anchored prefix (an index range) for a tenant, and ids without a qualification for the default one.
            filters.Add(new BsonDocument(HistoryFields.JobId, new BsonDocument("$regex", TenantIds.IsDefault(tenant)
                ? "^[^" + TenantIds.Separator + "]*$"
                : "^" + System.Text.RegularExpressions.Regex.Escape(tenant + TenantIds.Separator))));
        }

        if (query.Since is { } since)
        {
            filters.Add(Filter.Gte(HistoryFields.Finished, since.UtcDateTime));
        }

        if (query.Until is { } until)
        {
            filters.Add(Filter.Lt(HistoryFields.Finished, until.UtcDateTime));
        }

        if (query.Cursor is not null)
        {
            var (afterMs, afterRef) = DecodeCursor(query.Cursor);
            var after = DateTimeOffset.FromUnixTimeMilliseconds(afterMs).UtcDateTime;
            // Keyset paging on (finished desc, ref asc): stable under concurrent inserts, and each page is an index range.
            filters.Add(Filter.Or(
                Filter.Lt(HistoryFields.Finished, after),
                Filter.And(Filter.Eq(HistoryFields.Finished, after), Filter.Gt(HistoryFields.Ref, afterRef))));
        }

        var docs = await collections.Jobs
            .Find(filters.Count == 0 ? Filter.Empty : Filter.And(filters))
            .Sort(Builders<BsonDocument>.Sort.Descending(HistoryFields.Finished).Ascending(HistoryFields.Ref))
            .Limit(query.Limit + 1)
            .ToListAsync(cancellationToken);
        string? next = null;
        if (docs.Count > query.Limit)
        {
            docs.RemoveAt(docs.Count - 1);
            var last = docs[^1];
            next = EncodeCursor(Ms(last, HistoryFields.Finished), last[HistoryFields.Ref].AsString);
        }

        return new HistoryPage([.. docs.Select(ToJob)], next);
    }

    public async Task<IReadOnlyList<HistoryActivity>> ActivityAsync(JobRef job, CancellationToken cancellationToken)
    {
        var docs = await collections.Activity.Find(Filter.Eq(HistoryFields.Ref, job.Member))
            .Sort(Builders<BsonDocument>.Sort.Ascending(HistoryFields.Seq))
            .ToListAsync(cancellationToken);
        return [.. docs.Select(d => new HistoryActivity(
            Str(d, HistoryFields.Kind) ?? "",
            Time(d, HistoryFields.Time),
            Str(d, HistoryFields.Node),
            d.TryGetValue(HistoryFields.State, out var st) && !st.IsBsonNull ? st.ToInt32() : null,
            Str(d, HistoryFields.Worker),
            d.TryGetValue(HistoryFields.Attempt, out var at) && !at.IsBsonNull ? at.ToInt32() : null,
            Str(d, HistoryFields.Error)))];
    }

    public Task<long> CountAsync(CancellationToken cancellationToken) =>
        collections.Jobs.CountDocumentsAsync(Filter.Empty, cancellationToken: cancellationToken);

    public async Task<string?> CheckAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await mongo.Database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cts.Token);
            return null;
        }
        catch (OperationCanceledException)
        {
            return $"MongoDB did not answer a ping within {timeout.TotalMilliseconds:0} ms";
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return ex.Message;
        }
    }

    /// <summary>A cursor is opaque to clients: base64url of "finished_ms|ref".</summary>
    internal static string EncodeCursor(long finishedMs, string jobRef) =>
        WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{finishedMs}|{jobRef}")));

    /// <summary>Throws <see cref="FormatException"/> for a cursor this API did not make.</summary>
    public static (long FinishedMs, string Ref) DecodeCursor(string cursor)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(cursor));
        }
        catch (FormatException)
        {
            throw new FormatException("The cursor is not one this API returned as next_cursor.");
        }

        var bar = text.IndexOf('|', StringComparison.Ordinal);
        // The time must be one a DateTimeOffset holds: the query turns it into one, which throws outside that range.
        if (bar <= 0 || !long.TryParse(text[..bar], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || bar == text.Length - 1 ||
            ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            throw new FormatException("The cursor is not one this API returned as next_cursor.");
        }

        return (ms, text[(bar + 1)..]);
    }

    private async Task<BsonDocument?> FindDocumentAsync(JobRef job, CancellationToken cancellationToken) =>
        await collections.Jobs.Find(Filter.Eq(HistoryFields.Ref, job.Member)).FirstOrDefaultAsync(cancellationToken);

    private static JobSnapshot ToSnapshot(JobRef job, BsonDocument doc) => new(
        job,
        (JobState)doc[HistoryFields.State].ToInt32(),
        Str(doc, HistoryFields.To) ?? "",
        Str(doc, HistoryFields.Cmd) ?? "",
        Str(doc, HistoryFields.Data) ?? "null",
        (JobPriority)doc.GetValue(HistoryFields.Priority, 1).ToInt32(),
        Ms(doc, HistoryFields.Created),
        Ms(doc, HistoryFields.Updated),
        doc.GetValue(HistoryFields.Attempts, 0).ToInt32(),
        Str(doc, HistoryFields.Error),
        Str(doc, HistoryFields.Worker),
        Str(doc, HistoryFields.Result),
        null,
        Errors(doc),
        null);

    /// <summary>A node's edges as archived (JSON, <c>[{"to":…,"when":…}]</c>) → the comma list of targets the workflow store shows.</summary>
    private static string NextOf(string? edgesJson)
    {
        if (edgesJson is null)
        {
            return "";
        }

        using var edges = JsonDocument.Parse(edgesJson);
        return edges.RootElement.ValueKind == JsonValueKind.Array
            ? string.Join(',', edges.RootElement.EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("to", out var to) ? to.GetString() : null)
                .OfType<string>())
            : "";
    }

    private static HistoryJob ToJob(BsonDocument d)
    {
        var state = d[HistoryFields.State].ToInt32();
        IReadOnlyList<HistoryNode>? nodes = d.TryGetValue(HistoryFields.Nodes, out var n) && n.IsBsonArray
            ? [.. n.AsBsonArray.Select(x => x.AsBsonDocument).Select(x => new HistoryNode(
                Str(x, HistoryFields.Name) ?? "",
                Str(x, HistoryFields.Cmd) ?? "",
                x[HistoryFields.State].ToInt32(),
                x.GetValue(HistoryFields.Attempts, 0).ToInt32(),
                x.GetValue(HistoryFields.Skipped, false).ToBoolean(),
                Str(x, HistoryFields.Error),
                Json(Str(x, HistoryFields.Result)),
                Timeline(x)))]
            : null;
        return new HistoryJob(
            Str(d, HistoryFields.From) ?? "",
            Str(d, HistoryFields.JobId) ?? "",
            Str(d, HistoryFields.Kind) ?? "job",
            Str(d, HistoryFields.To) ?? "",
            Str(d, HistoryFields.Cmd) ?? "",
            state,
            ((JobState)state).ToWireName(),
            ((JobPriority)d.GetValue(HistoryFields.Priority, 1).ToInt32()).ToWireName(),
            d.GetValue(HistoryFields.Attempts, 0).ToInt32(),
            DateTimeOffset.FromUnixTimeMilliseconds(Ms(d, HistoryFields.Created)),
            Time(d, HistoryFields.Finished),
            Str(d, HistoryFields.Worker),
            Str(d, HistoryFields.Error),
            Errors(d),
            Json(Str(d, HistoryFields.Data)),
            Json(Str(d, HistoryFields.Result)),
            Str(d, HistoryFields.Phase),
            Timeline(d),
            nodes,
            Time(d, HistoryFields.Archived) ?? DateTimeOffset.UnixEpoch);
    }

    private static List<HistoryEvent> Timeline(BsonDocument d) =>
        d.TryGetValue(HistoryFields.Timeline, out var t) && t.IsBsonArray
            ? [.. t.AsBsonArray.Select(x => x.AsBsonDocument).Select(x => new HistoryEvent(
                Str(x, HistoryFields.Event) ?? "",
                x[HistoryFields.State].ToInt32(),
                Time(x, HistoryFields.Time),
                Str(x, HistoryFields.Worker),
                x.TryGetValue(HistoryFields.Attempt, out var a) && !a.IsBsonNull ? a.ToInt32() : null,
                Str(x, HistoryFields.Error)))]
            : [];

    private static List<string>? Errors(BsonDocument d) =>
        d.TryGetValue(HistoryFields.Errors, out var e) && e.IsBsonArray ? [.. e.AsBsonArray.Select(x => x.AsString)] : null;

    private static string? Str(BsonDocument d, string name) =>
        d.TryGetValue(name, out var v) && v.IsString ? v.AsString : null;

    private static DateTimeOffset? Time(BsonDocument d, string name) =>
        d.TryGetValue(name, out var v) && v.IsValidDateTime ? new DateTimeOffset(v.ToUniversalTime(), TimeSpan.Zero) : null;

    private static long Ms(BsonDocument d, string name) => Time(d, name)?.ToUnixTimeMilliseconds() ?? 0;

    private static JsonElement? Json(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
