using System.Globalization;
using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Listing;
using ExeSys.Core.Queues;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.WebConsole;

/// <summary>One job as the console's job list shows it.</summary>
/// <param name="JobId">The job_id as its client wrote it.</param>
/// <param name="Queue">The queue it runs in: the one its submit named, else its function's routed queue.</param>
/// <param name="State">The state code: 0 start, 1 standby, 2 processing, 3 data_available, 4 error.</param>
/// <param name="Status">The state's name.</param>
/// <param name="Worker">The worker that ran it last: admin keys of the default tenant only.</param>
public sealed record ConsoleJob(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("queue")] string Queue,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("updated")] DateTimeOffset Updated,
    [property: JsonPropertyName("started"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Started,
    [property: JsonPropertyName("finished"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Finished,
    [property: JsonPropertyName("worker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <param name="NextCursor">Pass back as cursor for the next page (older jobs); null when there is nothing older.</param>
/// <param name="Examined">How many index entries the request looked at (at most ExeSys:Console:MaxExamined): a page
/// with fewer jobs than the limit and a cursor ran out of that budget, not of jobs.</param>
public sealed record ConsoleJobPage(
    [property: JsonPropertyName("jobs")] IReadOnlyList<ConsoleJob> Jobs,
    [property: JsonPropertyName("next_cursor")] string? NextCursor,
    [property: JsonPropertyName("examined")] int Examined);

/// <summary>One graph run as the console's run list shows it.</summary>
/// <param name="Phase">running, paused, done, failed or cancelled.</param>
/// <param name="Nodes">How many nodes the run has.</param>
public sealed record ConsoleRun(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("updated")] DateTimeOffset Updated,
    [property: JsonPropertyName("finished"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Finished,
    [property: JsonPropertyName("nodes")] int Nodes,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public sealed record ConsoleRunPage(
    [property: JsonPropertyName("runs")] IReadOnlyList<ConsoleRun> Runs,
    [property: JsonPropertyName("next_cursor")] string? NextCursor,
    [property: JsonPropertyName("examined")] int Examined);

/// <summary>
/// The console's lists: the caller's tenant's recent jobs and graph runs, newest first, read from the bounded indexes
/// that submits keep (RedisJobIndex), never from a scan.
/// </summary>
public static class ConsoleListsApi
{
    private const int MaxLimit = 500;
    private const int DefaultLimit = 50;

    /// <summary>The phases a run's workflow hash records.</summary>
    private static readonly string[] Phases = ["running", "paused", "done", "failed", "cancelled"];

    public static IEndpointRouteBuilder MapConsoleLists(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/console/api").WithTags("Console").RequireAuthorization(Scopes.Read);

        group.MapGet("/jobs", ListJobsAsync)
            .WithName("ConsoleListJobs")
            .WithSummary("The tenant's recent jobs, newest first, filtered by state, from, cmd, queue, created time and job_id prefix, one page at a time")
            .WithDescription("""
                Filters (all optional, combined with AND): state (0..4 or its name: start, standby, processing,
                data_available, error), from, cmd, queue, since and until (ISO 8601; created at or after since, before
                until), prefix (the start of the job_id). limit is 1..500 (50). Pass next_cursor back as cursor for the
                next page; it is null when nothing older is left. The list holds the newest ExeSys:Console:RecentJobs
                single jobs and steps of the tenant (graph nodes are under their run); a request looks at
                ExeSys:Console:MaxExamined of them at most, so a page can be short and still have a cursor.
                """)
            .Produces<ConsoleJobPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/runs", ListRunsAsync)
            .WithName("ConsoleListRuns")
            .WithSummary("The tenant's recent graph runs with their phase, newest first, one page at a time")
            .WithDescription("""
                Filters (optional): from, phase (running, paused, done, failed or cancelled). limit is 1..500 (50). Pass
                next_cursor back as cursor for the next page. GET /workflows/{from}/{job_id} shows one run's nodes.
                """)
            .Produces<ConsoleRunPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        return app;
    }

    private static async Task<Results<Ok<ConsoleJobPage>, ProblemHttpResult>> ListJobsAsync(
        [FromQuery] string? state,
        [FromQuery] string? from,
        [FromQuery] string? cmd,
        [FromQuery] string? queue,
        [FromQuery] string? since,
        [FromQuery] string? until,
        [FromQuery] string? prefix,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        IJobIndex index,
        IOptions<JobOptions> jobOptions,
        Caller caller,
        CancellationToken cancellationToken)
    {
        var max = jobOptions.Value.MaxIdLength;
        JobState? stateFilter = null;
        if (state is not null)
        {
            if (ParseState(state) is { } s)
            {
                stateFilter = s;
            }
            else
            {
                return Invalid("state", $"state must be 0..4 or one of start, standby, processing, data_available, error; got '{state}'.");
            }
        }

        var badLimit = CheckLimit(limit, out var pageSize);
        var badSince = CheckTime("since", since, out var sinceMs);
        var badUntil = CheckTime("until", until, out var untilMs);
        if ((CheckId("from", from, max) ?? CheckId("cmd", cmd, max) ?? CheckId("prefix", prefix, max) ?? CheckQueue(queue)
            ?? badLimit ?? badSince ?? badUntil) is { } problem)
        {
            return problem;
        }

        IndexPage<JobListItem> page;
        try
        {
            page = await index.ListJobsAsync(
                new JobListQuery(caller.Tenant, stateFilter, from, cmd, queue, sinceMs, untilMs, prefix, pageSize, cursor), cancellationToken);
        }
        catch (FormatException ex)
        {
            // The index reads the cursor before it touches Redis.
            return Invalid("cursor", ex.Message);
        }

        return TypedResults.Ok(new ConsoleJobPage([.. page.Items.Select(j => Show(j, caller))], page.NextCursor, page.Examined));
    }

    private static async Task<Results<Ok<ConsoleRunPage>, ProblemHttpResult>> ListRunsAsync(
        [FromQuery] string? from,
        [FromQuery] string? phase,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        IJobIndex index,
        IOptions<JobOptions> jobOptions,
        Caller caller,
        CancellationToken cancellationToken)
    {
        var badLimit = CheckLimit(limit, out var pageSize);
        if ((CheckId("from", from, jobOptions.Value.MaxIdLength)
            ?? (phase is null || Phases.Contains(phase, StringComparer.Ordinal) ? null : Invalid("phase", $"phase must be one of {string.Join(", ", Phases)}; got '{phase}'."))
            ?? badLimit) is { } problem)
        {
            return problem;
        }

        IndexPage<RunListItem> page;
        try
        {
            page = await index.ListRunsAsync(new RunListQuery(caller.Tenant, from, phase, pageSize, cursor), cancellationToken);
        }
        catch (FormatException ex)
        {
            return Invalid("cursor", ex.Message);
        }

        return TypedResults.Ok(new ConsoleRunPage([.. page.Items.Select(Show)], page.NextCursor, page.Examined));
    }

    private static ConsoleJob Show(JobListItem j, Caller caller) => new(
        j.Job.From, TenantIds.Strip(j.Job.JobId), j.Cmd, j.Queue, (int)j.State, j.State.ToWireName(), j.Attempts,
        Time(j.CreatedMs), Time(j.UpdatedMs), TimeOrNull(j.StartedMs), TimeOrNull(j.FinishedMs),
        caller.SeesInternals ? j.Worker : null, j.Error);

    private static ConsoleRun Show(RunListItem r) => new(
        r.Run.From, TenantIds.Strip(r.Run.JobId), r.Phase, (int)r.State, r.State.ToWireName(),
        Time(r.CreatedMs), Time(r.UpdatedMs), TimeOrNull(r.FinishedMs), r.Nodes, r.Error);

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? TimeOrNull(long? ms) => ms is { } at ? Time(at) : null;

    private static JobState? ParseState(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 4)
        {
            return (JobState)code;
        }

        return Enum.GetValues<JobState>().Where(s => string.Equals(s.ToWireName(), text, StringComparison.Ordinal)).Select(s => (JobState?)s).FirstOrDefault();
    }

    private static ProblemHttpResult? CheckId(string field, string? value, int max) =>
        value is not null && JobIdentifiers.Check(field, value, max) is { } bad ? Invalid(field, bad) : null;

    private static ProblemHttpResult? CheckQueue(string? queue) =>
        queue is null || QueueRouting.IsValidName(queue) ? null : Invalid("queue", $"queue '{queue}' is not a queue name (1 to 64 of a-z, 0-9, '_' and '-').");

    private static ProblemHttpResult? CheckLimit(string? text, out int limit)
    {
        limit = DefaultLimit;
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit
            ? null
            : Invalid("limit", $"limit must be 1..{MaxLimit}; got '{text}'.");
    }

    private static ProblemHttpResult? CheckTime(string field, string? text, out long? ms)
    {
        ms = null;
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            ms = at.ToUnixTimeMilliseconds();
            return null;
        }

        return Invalid(field, $"{field} must be an ISO 8601 time such as 2026-11-22T20:00:00Z; got '{text}'.");
    }

    /// <summary>A 400 that names the parameter, in <c>errors</c> as validation problems do.</summary>
    private static ProblemHttpResult Invalid(string field, string problem) =>
        SysCmdRequestReader.Invalid(new(StringComparer.Ordinal) { [field] = [problem] }, "Invalid query");
}
