using System.Text.Json.Serialization;

namespace ExeSys.Core.Schedules;

/// <summary>What a schedule does when a firing comes while its previous run has not ended.</summary>
public enum OverlapPolicy
{
    /// <summary>The firing is skipped (recorded as skipped in the schedule's runs).</summary>
    Skip,

    /// <summary>One firing waits for the previous run to end, then starts; further ones while it waits are skipped.</summary>
    BufferOne,

    /// <summary>Every firing starts, whatever runs.</summary>
    AllowAll,

    /// <summary>Workflow runs only: the previous run is cancelled, then the firing starts.</summary>
    CancelPrevious,
}

/// <summary>What a schedule does with the firings it missed by more than its catch-up window (the controllers were down).</summary>
public enum MisfirePolicy
{
    /// <summary>They are dropped; the schedule carries on with its next fire time.</summary>
    Skip,

    /// <summary>The latest of them fires once.</summary>
    FireOnce,

    /// <summary>Each fires, the latest <see cref="ScheduleDefinition.MaxCatchUp"/> of them.</summary>
    FireAll,
}

/// <summary>The single command a firing submits, as <c>/sys_cmd</c> takes it (the job_id is the firing's).</summary>
public sealed record ScheduledCommand(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("data")] string DataJson,
    [property: JsonPropertyName("queue")] string? Queue,
    [property: JsonPropertyName("priority")] string Priority);

/// <summary>The named workflow definition a firing runs, with its data (the run's job_id is the firing's).</summary>
public sealed record ScheduledWorkflow(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("data")] string DataJson,
    [property: JsonPropertyName("priority")] string Priority);

/// <summary>
/// One schedule as stored (JSON in its hash's <c>def</c> field). Times are Unix ms. Exactly one of <see cref="Cron"/>
/// and <see cref="IntervalMs"/> is set, and exactly one of <see cref="Command"/> and <see cref="Workflow"/>.
/// </summary>
/// <param name="AnchorMs">An interval schedule fires at anchor + k × interval (whole seconds): its start, or its creation.</param>
public sealed record ScheduleDefinition(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("cron")] string? Cron,
    [property: JsonPropertyName("interval_ms")] long? IntervalMs,
    [property: JsonPropertyName("time_zone")] string TimeZone,
    [property: JsonPropertyName("start_ms")] long? StartMs,
    [property: JsonPropertyName("end_ms")] long? EndMs,
    [property: JsonPropertyName("anchor_ms")] long AnchorMs,
    [property: JsonPropertyName("jitter_ms")] long JitterMs,
    [property: JsonPropertyName("overlap")] OverlapPolicy Overlap,
    [property: JsonPropertyName("misfire")] MisfirePolicy Misfire,
    [property: JsonPropertyName("catch_up_ms")] long CatchUpMs,
    [property: JsonPropertyName("max_catch_up")] int MaxCatchUp,
    [property: JsonPropertyName("command")] ScheduledCommand? Command,
    [property: JsonPropertyName("workflow")] ScheduledWorkflow? Workflow)
{
    /// <summary>The client the firings' jobs belong to.</summary>
    [JsonIgnore]
    public string From => Command?.From ?? Workflow!.From;
}
