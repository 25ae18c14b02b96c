using System.Globalization;
using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.History;

/// <param name="Enabled">Whether MongoDB history is configured (ExeSys:Mongo:ConnectionString).</param>
/// <param name="Mongo">ok, off, or why MongoDB cannot be reached (degraded).</param>
/// <param name="Backlog">Ended jobs waiting in Redis to be archived; grows while MongoDB is away and drains when it is back.</param>
/// <param name="Archived">Jobs in the history (null when MongoDB cannot be reached).</param>
public sealed record HistoryStats(
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("mongo")] string Mongo,
    [property: JsonPropertyName("backlog")] long Backlog,
    [property: JsonPropertyName("archived"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Archived);

/// <summary>The read API over the MongoDB job history: list with filters and keyset paging, one job, its activity, and stats.</summary>
public static class HistoryApi
{
    private const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapHistory(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/history").WithTags("History").RequireAuthorization(Scopes.Read);

        group.MapGet("/jobs", ListAsync)
            .WithName("ListHistory")
            .WithSummary("Archived jobs, newest finished first, filtered by from, state, cmd and finish time, one page at a time")
            .WithDescription("""
                Filters (all optional, combined with AND): from, state (3 data_available or 4 error), cmd, schedule (a
                schedule's firings: job_ids "<name>.yyyyMMddTHHmmssZ"), since and until
                (ISO 8601; finished at or after since, before until). limit is 1..500 (50). The reply's next_cursor,
                passed back as cursor, gives the next page (keyset paging: stable while new jobs are archived);
                it is absent on the last page. 404 when MongoDB history is not configured.
                """)
            .Produces<HistoryPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/jobs/{from}/{job_id}", GetAsync)
            .WithName("GetHistoryJob")
            .WithSummary("One archived job: its command, result, state-change timeline and, for a graph run, every node")
            .Produces<HistoryJob>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/jobs/{from}/{job_id}/activity", ActivityAsync)
            .WithName("GetHistoryActivity")
            .WithSummary("One archived job's activity log: each state change and each operator action (pause, resume, cancel, cancel_all), in order")
            .Produces<IReadOnlyList<HistoryActivity>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/stats", StatsAsync)
            .WithName("HistoryStats")
            .WithSummary("Is history on, can MongoDB be reached, how many ended jobs wait in the Redis archive backlog, how many are archived")
            .Produces<HistoryStats>();

        return app;
    }

    private static async Task<Results<Ok<HistoryPage>, ProblemHttpResult>> ListAsync(
        [FromQuery] string? from,
        [FromQuery] int? state,
        [FromQuery] string? cmd,
        [FromQuery] string? schedule,
        [FromQuery] string? since,
        [FromQuery] string? until,
        [FromQuery] int? limit,
        [FromQuery] string? cursor,
        IJobHistory history,
        IOptions<JobOptions> jobOptions,
        Caller caller,
        CancellationToken cancellationToken)
    {
        if (Off(history) is { } off)
        {
            return off;
        }

        var max = jobOptions.Value.MaxIdLength;
        var bad = (from is null ? null : JobIdentifiers.Check("from", from, max)) ?? (cmd is null ? null : JobIdentifiers.Check("cmd", cmd, max))
            ?? (schedule is null ? null : JobIdentifiers.Check("schedule", schedule, max));
        if (bad is not null)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid filter", bad);
        }

        if (state is { } s && s is < 0 or > 4)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid filter", $"state must be 0..4 (3 data_available, 4 error); got {s}.");
        }

        if (limit is { } l && l is < 1 or > MaxLimit)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid limit", $"limit must be 1..{MaxLimit}; got {l}.");
        }

        if (!TryTime(since, "since", out var sinceAt, out var problem) || !TryTime(until, "until", out var untilAt, out problem))
        {
            return problem!;
        }

        if (cursor is not null)
        {
            try
            {
                _ = MongoJobHistory.DecodeCursor(cursor);
            }
            catch (FormatException ex)
            {
                return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid cursor", ex.Message);
            }
        }

        // The caller's own tenant only, filtered by MongoDB, so a page is as full as the limit allows.
        var page = await history.QueryAsync(new HistoryQuery(from, state, cmd, sinceAt, untilAt, limit ?? 50, cursor, schedule is null ? null : caller.Qualify(schedule), caller.Tenant), cancellationToken);
        return TypedResults.Ok(page with { Items = [.. page.Items.Where(j => caller.Owns(j.JobId)).Select(j => j with { JobId = TenantIds.Strip(j.JobId) })] });
    }

    private static async Task<Results<Ok<HistoryJob>, ProblemHttpResult>> GetAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IJobHistory history, IOptions<JobOptions> jobOptions, Caller caller, CancellationToken cancellationToken)
    {
        if ((Off(history) ?? JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength)) is { } problem)
        {
            return problem;
        }

        return await history.FindAsync(new JobRef(from, caller.Qualify(jobId)), cancellationToken) is { } job
            ? TypedResults.Ok(job with { JobId = jobId })
            : NotArchived(from, jobId);
    }

    private static async Task<Results<Ok<IReadOnlyList<HistoryActivity>>, ProblemHttpResult>> ActivityAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IJobHistory history, IOptions<JobOptions> jobOptions, Caller caller, CancellationToken cancellationToken)
    {
        if ((Off(history) ?? JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength)) is { } problem)
        {
            return problem;
        }

        var activity = await history.ActivityAsync(new JobRef(from, caller.Qualify(jobId)), cancellationToken);
        return activity.Count > 0 ? TypedResults.Ok(activity) : NotArchived(from, jobId);
    }

    private static async Task<Ok<HistoryStats>> StatsAsync(IJobHistory history, IArchiveSource backlog, Caller caller, CancellationToken cancellationToken)
    {
        if (!history.Enabled)
        {
            return TypedResults.Ok(new HistoryStats(false, "off", 0, null));
        }

        var problem = await history.CheckAsync(TimeSpan.FromSeconds(1));
        var archived = problem is null ? await history.CountAsync(cancellationToken) : (long?)null;
        // MongoDB's error names its hosts: admin keys only.
        var mongo = problem is null ? "ok" : caller.SeesInternals ? $"degraded: {problem}" : "degraded";
        return TypedResults.Ok(new HistoryStats(true, mongo, await backlog.CountAsync(), archived));
    }

    private static ProblemHttpResult? Off(IJobHistory history) => history.Enabled
        ? null
        : JobResults.Problem(StatusCodes.Status404NotFound, "History is off",
            "MongoDB history is not configured, so finished jobs live only in Redis until ExeSys:Jobs:Retention ends. Set ExeSys__Mongo__ConnectionString to turn it on.");

    private static ProblemHttpResult NotArchived(string from, string jobId) =>
        JobResults.Problem(StatusCodes.Status404NotFound, "Not in the history",
            $"The history has no job '{jobId}' from '{from}': it has not finished, is not archived yet, was never submitted, or its history TTL has passed.");

    private static bool TryTime(string? text, string name, out DateTimeOffset? value, out ProblemHttpResult? problem)
    {
        value = null;
        problem = null;
        if (text is null)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        problem = JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid filter", $"{name} must be an ISO 8601 time such as 2026-11-22T20:00:00Z; got '{text}'.");
        return false;
    }
}
