using System.Globalization;
using System.Text.Json;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using MongoDB.Bson;

namespace ExeSys.Controller.Archiving;

/// <summary>
/// Turns what the archiver read from Redis into history documents. The timeline comes from fields the job's status
/// hash already holds (ct created, sa started, wk worker, at attempt, ft finished, err, errs), so archiving adds no
/// Redis command per job; the one thing Redis does not keep is when an earlier attempt failed.
/// Every document has a deterministic key (ref, or ref|node|event|attempt for activity), which the writes upsert on.
/// </summary>
internal static class HistoryDocuments
{
    public static (BsonDocument Job, List<BsonDocument> Activity) Build(ArchiveItem item, DateTime now, TimeSpan historyTtl)
    {
        var f = item.Fields;
        var job = item.Job;
        var state = Int(f, "st") ?? 0;
        var finished = Time(f, "ft");
        var expires = historyTtl > TimeSpan.Zero ? (finished ?? now) + historyTtl : (DateTime?)null;
        var timeline = Timeline(f);
        var doc = new BsonDocument
        {
            [HistoryFields.Ref] = job.Member,
            [HistoryFields.From] = job.From,
            [HistoryFields.JobId] = job.JobId,
            [HistoryFields.Kind] = item.Kind == ArchiveItemKind.Run ? "run" : "job",
            [HistoryFields.To] = Str(f, "to") ?? "",
            [HistoryFields.Cmd] = Str(f, "cmd") ?? "",
            [HistoryFields.Data] = Str(f, "data") ?? "null",
            [HistoryFields.Priority] = Int(f, "pri") ?? 1,
            [HistoryFields.State] = state,
            [HistoryFields.Created] = Value(Time(f, "ct")),
            [HistoryFields.Updated] = Value(Time(f, "ut")),
            [HistoryFields.Started] = Value(Time(f, "sa")),
            [HistoryFields.Finished] = Value(finished),
            [HistoryFields.Attempts] = Int(f, "at") ?? 0,
            [HistoryFields.Worker] = Value(Str(f, "wk")),
            [HistoryFields.Error] = Value(Str(f, "err")),
            [HistoryFields.Errors] = Errors(f) is { } errors ? new BsonArray(errors) : BsonNull.Value,
            [HistoryFields.Result] = Value(ResultOf(item.DataAvailable)),
            [HistoryFields.Timeline] = new BsonArray(timeline.Select(ToBson)),
            [HistoryFields.Archived] = now,
            [HistoryFields.Expires] = Value(expires),
        };

        var activity = new List<BsonDocument>();
        AddActivity(activity, job, node: null, timeline, expires);
        if (item.Kind == ArchiveItemKind.Run)
        {
            doc[HistoryFields.Phase] = item.Phase ?? "";
            var nodes = new BsonArray();
            foreach (var node in item.Nodes)
            {
                var nodeTimeline = Timeline(node.Fields);
                nodes.Add(new BsonDocument
                {
                    [HistoryFields.Name] = node.Name,
                    [HistoryFields.Cmd] = Str(node.Fields, "cmd") ?? "",
                    [HistoryFields.State] = Int(node.Fields, "st") ?? 1,
                    [HistoryFields.Attempts] = Int(node.Fields, "at") ?? 0,
                    [HistoryFields.Skipped] = node.Fields.ContainsKey("skipped"),
                    [HistoryFields.Error] = Value(Str(node.Fields, "err")),
                    [HistoryFields.Result] = Value(ResultOf(node.DataAvailable)),
                    [HistoryFields.Next] = Str(node.Fields, "next") ?? "[]",
                    [HistoryFields.Timeline] = new BsonArray(nodeTimeline.Select(ToBson)),
                });
                AddActivity(activity, job, node.Name, nodeTimeline, expires);
            }

            doc[HistoryFields.Nodes] = nodes;
            for (var i = 0; i < item.OperatorLog.Count; i++)
            {
                var (label, atMs) = item.OperatorLog[i];
                activity.Add(new BsonDocument
                {
                    [HistoryFields.Key] = string.Create(CultureInfo.InvariantCulture, $"{job.Member}|op|{i}|{label}"),
                    [HistoryFields.Ref] = job.Member,
                    [HistoryFields.Seq] = atMs,
                    [HistoryFields.Kind] = label,
                    [HistoryFields.Time] = DateTimeOffset.FromUnixTimeMilliseconds(atMs).UtcDateTime,
                    [HistoryFields.Expires] = Value(expires),
                });
            }
        }

        return (doc, activity);
    }

    private sealed record Event(string Name, int State, DateTime? Time, string? Worker, int? Attempt, string? Error);

    private static List<Event> Timeline(IReadOnlyDictionary<string, string> f)
    {
        var events = new List<Event>();
        var state = Int(f, "st") ?? 0;
        var attempts = Int(f, "at") ?? 0;
        if (Time(f, "ct") is { } created)
        {
            events.Add(new Event("submitted", 0, created, null, null, null));
        }

        if (f.ContainsKey("skipped"))
        {
            events.Add(new Event("skipped", 3, Time(f, "ft"), null, null, null));
            return events;
        }

        // errs holds every failed attempt's error; when the job ended in state 4 the last of them is its final error.
        var errors = Errors(f) ?? [];
        var earlier = state == 4 ? errors.Count - 1 : errors.Count;
        for (var i = 0; i < earlier; i++)
        {
            events.Add(new Event("attempt_failed", 1, null, null, i + 1, errors[i]));
        }

        if (Time(f, "sa") is { } started)
        {
            events.Add(new Event("started", 2, started, Str(f, "wk"), attempts, null));
        }

        if (state is 3 or 4 && Time(f, "ft") is { } finished)
        {
            events.Add(new Event(state == 3 ? "finished" : "failed", state, finished, Str(f, "wk"), attempts == 0 ? null : attempts, state == 4 ? Str(f, "err") : null));
        }
        else if (state == 1 && Str(f, "ra") is not null)
        {
            events.Add(new Event("retry", 1, Time(f, "ut"), Str(f, "wk"), attempts, Str(f, "err")));
        }

        return events;
    }

    private static void AddActivity(List<BsonDocument> activity, JobRef job, string? node, List<Event> timeline, DateTime? expires)
    {
        foreach (var e in timeline)
        {
            var d = new BsonDocument
            {
                [HistoryFields.Key] = string.Create(CultureInfo.InvariantCulture, $"{job.Member}|{node}|{e.Name}|{e.Attempt}"),
                [HistoryFields.Ref] = job.Member,
                [HistoryFields.Seq] = e.Time is { } t ? new DateTimeOffset(t).ToUnixTimeMilliseconds() : 0L,
                [HistoryFields.Kind] = e.Name,
                [HistoryFields.Time] = Value(e.Time),
                [HistoryFields.State] = e.State,
                [HistoryFields.Worker] = Value(e.Worker),
                [HistoryFields.Attempt] = e.Attempt is { } a ? a : BsonNull.Value,
                [HistoryFields.Error] = Value(e.Error),
                [HistoryFields.Expires] = Value(expires),
            };
            if (node is not null)
            {
                d[HistoryFields.Node] = node;
            }

            activity.Add(d);
        }
    }

    private static BsonDocument ToBson(Event e) => new()
    {
        [HistoryFields.Event] = e.Name,
        [HistoryFields.State] = e.State,
        [HistoryFields.Time] = Value(e.Time),
        [HistoryFields.Worker] = Value(e.Worker),
        [HistoryFields.Attempt] = e.Attempt is { } a ? a : BsonNull.Value,
        [HistoryFields.Error] = Value(e.Error),
    };

    /// <summary>data_available holds {"to":…,"result":…}; the history keeps the result part, as JSON text.</summary>
    private static string? ResultOf(string? dataAvailable)
    {
        if (dataAvailable is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(dataAvailable);
        return doc.RootElement.TryGetProperty("result", out var result) ? result.GetRawText() : null;
    }

    private static List<string>? Errors(IReadOnlyDictionary<string, string> f)
    {
        if (Str(f, "errs") is not { } json)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray().Select(e => e.ToString())] : null;
    }

    private static string? Str(IReadOnlyDictionary<string, string> f, string name) => f.TryGetValue(name, out var v) ? v : null;

    private static int? Int(IReadOnlyDictionary<string, string> f, string name) =>
        f.TryGetValue(name, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static DateTime? Time(IReadOnlyDictionary<string, string> f, string name) =>
        f.TryGetValue(name, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            : null;

    private static BsonValue Value(string? s) => s is null ? BsonNull.Value : s;

    private static BsonValue Value(DateTime? t) => t is { } v ? new BsonDateTime(v) : BsonNull.Value;
}
