using System.Globalization;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using MongoDB.Bson;

namespace ExeSys.Controller.Archiving;

/// <summary>
/// Turns what the archiver read from live storage (<see cref="IArchiveSource"/>) into history documents. The timeline
/// comes from what a job already records (created, started, worker, attempt, finished, error, every attempt's error),
/// so archiving adds no Redis command per job; the one thing live storage does not keep is when an earlier attempt failed.
/// Every document has a deterministic key (ref, or ref|node|event|attempt for activity), which the writes upsert on.
/// </summary>
internal static class HistoryDocuments
{
    public static (BsonDocument Job, List<BsonDocument> Activity) Build(ArchiveItem item, DateTime now, TimeSpan historyTtl)
    {
        var f = item.Record;
        var job = item.Job;
        var state = f.State ?? 0;
        var finished = f.Finished;
        var expires = historyTtl > TimeSpan.Zero ? (finished ?? now) + historyTtl : (DateTime?)null;
        var timeline = Timeline(f);
        var doc = new BsonDocument
        {
            [HistoryFields.Ref] = job.Member,
            [HistoryFields.From] = job.From,
            [HistoryFields.JobId] = job.JobId,
            [HistoryFields.Kind] = item.Kind == ArchiveItemKind.Run ? "run" : "job",
            [HistoryFields.To] = f.To ?? "",
            [HistoryFields.Cmd] = f.Cmd ?? "",
            [HistoryFields.Data] = f.DataJson ?? "null",
            [HistoryFields.Priority] = f.Priority ?? 1,
            [HistoryFields.State] = state,
            [HistoryFields.Created] = Value(f.Created),
            [HistoryFields.Updated] = Value(f.Updated),
            [HistoryFields.Started] = Value(f.Started),
            [HistoryFields.Finished] = Value(finished),
            [HistoryFields.Attempts] = f.Attempts ?? 0,
            [HistoryFields.Worker] = Value(f.Worker),
            [HistoryFields.Error] = Value(f.Error),
            [HistoryFields.Errors] = f.Errors is { } errors ? new BsonArray(errors) : BsonNull.Value,
            [HistoryFields.Result] = Value(f.ResultJson),
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
                var nodeTimeline = Timeline(node.Record);
                nodes.Add(new BsonDocument
                {
                    [HistoryFields.Name] = node.Name,
                    [HistoryFields.Cmd] = node.Record.Cmd ?? "",
                    [HistoryFields.State] = node.Record.State ?? 1,
                    [HistoryFields.Attempts] = node.Record.Attempts ?? 0,
                    [HistoryFields.Skipped] = node.Record.Skipped,
                    [HistoryFields.Error] = Value(node.Record.Error),
                    [HistoryFields.Result] = Value(node.Record.ResultJson),
                    [HistoryFields.Next] = node.Record.NextJson ?? "[]",
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

    private static List<Event> Timeline(JobRecord f)
    {
        var events = new List<Event>();
        var state = f.State ?? 0;
        var attempts = f.Attempts ?? 0;
        if (f.Created is { } created)
        {
            events.Add(new Event("submitted", 0, created, null, null, null));
        }

        if (f.Skipped)
        {
            events.Add(new Event("skipped", 3, f.Finished, null, null, null));
            return events;
        }

        // Errors holds every failed attempt's error; when the job ended in state 4 the last of them is its final error.
        var errors = f.Errors ?? [];
        var earlier = state == 4 ? errors.Count - 1 : errors.Count;
        for (var i = 0; i < earlier; i++)
        {
            events.Add(new Event("attempt_failed", 1, null, null, i + 1, errors[i]));
        }

        if (f.Started is { } started)
        {
            events.Add(new Event("started", 2, started, f.Worker, attempts, null));
        }

        if (state is 3 or 4 && f.Finished is { } finished)
        {
            events.Add(new Event(state == 3 ? "finished" : "failed", state, finished, f.Worker, attempts == 0 ? null : attempts, state == 4 ? f.Error : null));
        }
        else if (state == 1 && f.RetryAt is not null)
        {
            events.Add(new Event("retry", 1, f.Updated, f.Worker, attempts, f.Error));
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

    private static BsonValue Value(string? s) => s is null ? BsonNull.Value : s;

    private static BsonValue Value(DateTime? t) => t is { } v ? new BsonDateTime(v) : BsonNull.Value;
}
