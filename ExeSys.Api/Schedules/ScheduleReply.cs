using System.Text.Json.Serialization;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;

namespace ExeSys.Api.Schedules;

/// <summary>One recorded firing and, for a started one, its job's state now (null once the job has left Redis).</summary>
public sealed record ScheduleRunReply(
    [property: JsonPropertyName("fire_time")] DateTimeOffset FireTime,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? State,
    [property: JsonPropertyName("resp"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Resp);

/// <summary>The single command each firing submits.</summary>
public sealed record ScheduleCommandReply(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("data")] RawJson Data,
    [property: JsonPropertyName("queue"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Queue,
    [property: JsonPropertyName("priority")] string Priority);

/// <summary>The named workflow definition each firing runs.</summary>
public sealed record ScheduleWorkflowReply(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("data")] RawJson Data,
    [property: JsonPropertyName("priority")] string Priority);

/// <summary>A schedule: its definition, its next fire times and its last firings (newest first).</summary>
public sealed record ScheduleReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("cron"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Cron,
    [property: JsonPropertyName("interval"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Interval,
    [property: JsonPropertyName("time_zone")] string TimeZone,
    [property: JsonPropertyName("start"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Start,
    [property: JsonPropertyName("end"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? End,
    [property: JsonPropertyName("jitter")] string Jitter,
    [property: JsonPropertyName("overlap")] string Overlap,
    [property: JsonPropertyName("misfire")] string Misfire,
    [property: JsonPropertyName("catch_up")] string CatchUp,
    [property: JsonPropertyName("max_catch_up")] int MaxCatchUp,
    [property: JsonPropertyName("command"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ScheduleCommandReply? Command,
    [property: JsonPropertyName("workflow"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ScheduleWorkflowReply? Workflow,
    [property: JsonPropertyName("paused")] bool Paused,
    [property: JsonPropertyName("next_fire_times")] IReadOnlyList<DateTimeOffset> NextFireTimes,
    [property: JsonPropertyName("last_runs")] IReadOnlyList<ScheduleRunReply> LastRuns,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("updated")] DateTimeOffset Updated)
{
    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string Span(long ms) => $"{ms / 1000}s";

    /// <summary>A stored schedule as its client wrote it: its name, its workflow's name and its runs' job_ids without the tenant (<see cref="TenantIds.Strip"/>).</summary>
    /// <param name="states">The states of the started runs' jobs, by stored job_id (absent: no longer in Redis).</param>
    public static ScheduleReply Of(StoredSchedule s, int shown, IReadOnlyDictionary<string, JobSnapshot> states)
    {
        var d = s.Definition;
        var next = s.Paused || s.NextMs is null ? [] : (IReadOnlyList<long>)[s.NextMs.Value, .. ScheduleTimes.NextTimes(d, s.NextMs.Value, shown - 1)];
        return new ScheduleReply(
            TenantIds.Strip(d.Name), d.Cron, d.IntervalMs is { } i ? Span(i) : null, d.TimeZone, d.StartMs is { } a ? At(a) : null, d.EndMs is { } e ? At(e) : null,
            $"{d.JitterMs}ms", Snake(d.Overlap.ToString()), Snake(d.Misfire.ToString()), Span(d.CatchUpMs), d.MaxCatchUp,
            d.Command is { } c ? new ScheduleCommandReply(c.From, c.To, c.Cmd, new RawJson(c.DataJson), c.Queue, c.Priority) : null,
            d.Workflow is { } w ? new ScheduleWorkflowReply(w.From, TenantIds.Strip(w.Name), new RawJson(w.DataJson), w.Priority) : null,
            s.Paused, [.. next.Select(At)],
            [.. s.Runs.Select(r => new ScheduleRunReply(At(r.FireMs), TenantIds.Strip(r.JobId), r.Outcome,
                states.TryGetValue(r.JobId, out var j) ? (int)j.State : null, states.TryGetValue(r.JobId, out var k) ? k.State.ToWireName() : null))],
            At(s.CreatedMs), At(s.UpdatedMs));
    }

    private static string Snake(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}

/// <summary>A page of schedules by name; <c>next_after</c>, passed back as <c>after</c>, gives the next page.</summary>
public sealed record SchedulePage(
    [property: JsonPropertyName("schedules")] IReadOnlyList<ScheduleReply> Schedules,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("next_after"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextAfter);

/// <summary>A firing triggered by hand: its job_id (from the schedule's <c>from</c>), started within one controller tick.</summary>
public sealed record TriggerReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("fire_time")] DateTimeOffset FireTime,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("poll")] string Poll);
