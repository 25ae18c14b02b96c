using System.Text.Json;
using ExeSys.Api.Hosting;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Schedules;

/// <summary>
/// Recurring jobs: cron or interval schedules, each firing one job (or workflow run) named by the schedule and its fire
/// time. Every schedule endpoint is in this one group, so one authorization policy covers them all (changes need an
/// operator's rights, reads a reader's: the lead puts the policies here).
/// </summary>
public static class SchedulesApi
{
    private const int MaxPage = 500;

    public static IEndpointRouteBuilder MapSchedules(this IEndpointRouteBuilder app)
    {
        // Schedules are the operator's, as queues are: one admin key of the default tenant (or open mode) manages and
        // reads them; any other key gets 403 whatever the schedule, so nothing of them shows (per-tenant schedules are
        // not built). Their firings run as their command's or workflow's 'from' in the default tenant.
        var group = app.MapGroup("/schedules").WithTags("Schedules").RequireAuthorization(Scopes.Admin)
            .AddEndpointFilter(async (context, next) => Caller.Of(context.HttpContext.User).IsOperator ? await next(context) : OperatorOnly());

        group.MapPost("", CreateAsync)
            .WithName("CreateSchedule")
            .WithSummary("Create a schedule: a cron expression or an interval, and the command or named workflow each firing runs")
            .WithDescription("""
                Body: {"name", "cron" (5 fields, or 6 with seconds first) | "interval" ("30s", "5m", "PT1H"), "time_zone"? (IANA,
                default "UTC"; DST as Cronos handles it: a time skipped by spring-forward fires at the first instant after the gap,
                a repeated one on fall-back day fires once), "start"?, "end"? (ISO 8601 with offset), "jitter"? (up to 1h),
                "overlap"? ("skip" default, "buffer_one", "allow_all", "cancel_previous" for workflows), "misfire"? ("skip"
                default, "fire_once", "fire_all"), "catch_up"? (default ExeSys:Schedules:DefaultCatchUp), "max_catch_up"?,
                "paused"?, and "command" {"from","to","cmd","data"?,"queue"?,"priority"?} or "workflow" {"from","name","data"?,"priority"?}}.
                Each firing creates exactly one job, job_id "<name>.<fire time as yyyyMMddTHHmmssZ>" under the command's from,
                however many controllers run. A bad field gets 400 naming it, and nothing is stored.
                """)
            .Produces<ScheduleReply>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("", ListAsync)
            .WithName("ListSchedules")
            .WithSummary("Schedules by name, a page at a time (?after=<name>&limit=100, at most 500)")
            .Produces<SchedulePage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{name}", GetAsync)
            .WithName("GetSchedule")
            .WithSummary("One schedule: its definition, next fire times, and last runs with their jobs' states")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/{name}", UpdateAsync)
            .WithName("UpdateSchedule")
            .WithSummary("Replace a schedule's definition (the body of a create; 'name' may be left out). Its next fire time is computed anew from now.")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{name}", DeleteAsync)
            .WithName("DeleteSchedule")
            .WithSummary("Delete a schedule (its jobs stay, as any job)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/pause", PauseAsync)
            .WithName("PauseSchedule")
            .WithSummary("Pause: nothing fires until resumed")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/resume", ResumeAsync)
            .WithName("ResumeSchedule")
            .WithSummary("Resume: it fires again from its next fire time after now (the firings missed while paused do not fire)")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/trigger", TriggerAsync)
            .WithName("TriggerSchedule")
            .WithSummary("Fire now, outside the timetable: one job named by this second, started within one controller tick")
            .Produces<TriggerReply>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return app;
    }

    private static async Task<Results<Created<ScheduleReply>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, [AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        var (doc, problem) = await JsonBody.ReadAsync(request, services.Api.Value.MaxBodyBytes, "{\"name\", \"cron\"|\"interval\", \"command\"|\"workflow\"}", cancellationToken);
        if (doc is null)
        {
            return problem!;
        }

        using (doc)
        {
            var (definition, paused, errors) = await services.Reader.ReadAsync(doc.RootElement, null, null);
            if (definition is null)
            {
                return SysCmdRequestReader.Invalid(errors, "Invalid schedule");
            }

            var outcome = await services.Store.SaveAsync(definition, create: true, NextFromNow(definition, services.Time), paused);
            return outcome switch
            {
                ScheduleSaveOutcome.Exists => JobResults.Problem(StatusCodes.Status409Conflict, "Schedule exists",
                    $"A schedule named '{definition.Name}' exists: PUT /schedules/{definition.Name} replaces it."),
                ScheduleSaveOutcome.Full => JobResults.Problem(StatusCodes.Status409Conflict, "Too many schedules",
                    $"{services.Options.Value.MaxSchedules} schedules are stored, the most allowed (ExeSys:Schedules:MaxSchedules): delete one first."),
                _ => await AuditedAsync(services, "schedule.create", definition.Name, TypedResults.Created($"/schedules/{definition.Name}", await ReplyAsync(definition.Name, services))),
            };
        }
    }

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> UpdateAsync(
        string name, HttpRequest request, [AsParameters] ScheduleServices services, CancellationToken cancellationToken)
    {
        if (CheckName(name, services) is { } bad)
        {
            return bad;
        }

        var stored = await services.Store.GetAsync(name);
        if (stored is null)
        {
            return Missing(name);
        }

        var (doc, problem) = await JsonBody.ReadAsync(request, services.Api.Value.MaxBodyBytes, "{\"cron\"|\"interval\", \"command\"|\"workflow\"}", cancellationToken);
        if (doc is null)
        {
            return problem!;
        }

        using (doc)
        {
            var (definition, paused, errors) = await services.Reader.ReadAsync(doc.RootElement, name, stored.Definition.StartMs is null ? stored.Definition.AnchorMs : null);
            if (definition is null)
            {
                return SysCmdRequestReader.Invalid(errors, "Invalid schedule");
            }

            return await services.Store.SaveAsync(definition, create: false, NextFromNow(definition, services.Time), paused) == ScheduleSaveOutcome.Saved
                ? await AuditedAsync(services, "schedule.update", name, TypedResults.Ok(await ReplyAsync(name, services)))
                : Missing(name);
        }
    }

    private static async Task<Results<Ok<SchedulePage>, ProblemHttpResult>> ListAsync(
        [FromQuery] string? after, [FromQuery] int? limit, [AsParameters] ScheduleServices services)
    {
        var take = limit ?? 100;
        if (take < 1 || take > MaxPage)
        {
            return SysCmdRequestReader.Invalid(new(StringComparer.Ordinal) { ["limit"] = [$"'limit' must be 1..{MaxPage}."] }, "Invalid query");
        }

        var list = await services.Store.ListAsync(after, take);
        var replies = new List<ScheduleReply>(list.Count);
        foreach (var s in list)
        {
            replies.Add(ScheduleReply.Of(s, services.Options.Value.NextShown, await StatesAsync(s, services.Jobs)));
        }

        return TypedResults.Ok(new SchedulePage(replies, await services.Store.CountAsync(), list.Count == take ? list[^1].Definition.Name : null));
    }

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> GetAsync(string name, [AsParameters] ScheduleServices services) =>
        CheckName(name, services) ?? (Results<Ok<ScheduleReply>, ProblemHttpResult>)(await ReplyOrNullAsync(name, services) is { } reply ? TypedResults.Ok(reply) : Missing(name));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, [AsParameters] ScheduleServices services) =>
        CheckName(name, services) ?? (Results<NoContent, ProblemHttpResult>)(await services.Store.DeleteAsync(name) == ScheduleSaveOutcome.Saved ? await AuditedAsync(services, "schedule.delete", name, TypedResults.NoContent()) : Missing(name));

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> PauseAsync(string name, [AsParameters] ScheduleServices services) =>
        CheckName(name, services) ?? (Results<Ok<ScheduleReply>, ProblemHttpResult>)(await services.Store.PauseAsync(name) == ScheduleSaveOutcome.Saved ? await AuditedAsync(services, "schedule.pause", name, TypedResults.Ok(await ReplyAsync(name, services))) : Missing(name));

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> ResumeAsync(string name, [AsParameters] ScheduleServices services)
    {
        if (CheckName(name, services) is { } bad)
        {
            return bad;
        }

        if (await services.Store.GetAsync(name) is not { } stored)
        {
            return Missing(name);
        }

        var definition = stored.Definition;
        return await services.Store.ResumeAsync(name, definition, NextFromNow(definition, services.Time)) == ScheduleSaveOutcome.Saved
            ? await AuditedAsync(services, "schedule.resume", name, TypedResults.Ok(await ReplyAsync(name, services)))
            : Missing(name);
    }

    private static async Task<Results<Accepted<TriggerReply>, ProblemHttpResult>> TriggerAsync(string name, [AsParameters] ScheduleServices services)
    {
        if (CheckName(name, services) is { } bad)
        {
            return bad;
        }

        if (await services.Store.GetAsync(name) is not { } stored)
        {
            return Missing(name);
        }

        var fire = services.Time.GetUtcNow().ToUnixTimeMilliseconds() / 1000 * 1000;
        var jobId = ScheduleTimes.JobId(name, fire);
        var reply = new TriggerReply(name, DateTimeOffset.FromUnixTimeMilliseconds(fire), stored.Definition.From, jobId, JobReply.PollPath(new JobRef(stored.Definition.From, jobId)));
        return await services.Store.TriggerAsync(name, fire) switch
        {
            ScheduleSaveOutcome.Saved => await AuditedAsync(services, "schedule.trigger", name, TypedResults.Accepted(reply.Poll, reply)),
            ScheduleSaveOutcome.Exists => JobResults.Problem(StatusCodes.Status409Conflict, "Already triggered",
                $"Schedule '{name}' was already triggered this second: its firing is job '{jobId}'."),
            _ => Missing(name),
        };
    }

    /// <summary>An operator action that changed a schedule goes to the audit trail (log, and MongoDB when on).</summary>
    private static async Task<T> AuditedAsync<T>(ScheduleServices services, string action, string name, T result)
    {
        await services.Audit.RecordAsync(services.Caller, action, name);
        return result;
    }

    /// <summary>The next fire time after now: a new, updated or resumed schedule never fires for times already past.</summary>
    private static long? NextFromNow(ScheduleDefinition definition, TimeProvider time) =>
        ScheduleTimes.Next(definition, time.GetUtcNow().ToUnixTimeMilliseconds());

    private static async Task<ScheduleReply> ReplyAsync(string name, ScheduleServices services) =>
        await ReplyOrNullAsync(name, services) ?? throw new InvalidOperationException($"Schedule '{name}' vanished while it was written.");

    private static async Task<ScheduleReply?> ReplyOrNullAsync(string name, ScheduleServices services) =>
        await services.Store.GetAsync(name) is { } s ? ScheduleReply.Of(s, services.Options.Value.NextShown, await StatesAsync(s, services.Jobs)) : null;

    /// <summary>The states of a schedule's started runs (at most ExeSys:Schedules:RunsKept reads, in flight at once).</summary>
    private static async Task<IReadOnlyDictionary<string, JobSnapshot>> StatesAsync(StoredSchedule s, IJobClient jobs)
    {
        var started = s.Runs.Where(r => r.Outcome == "started").Select(r => r.JobId).Distinct(StringComparer.Ordinal).ToList();
        var reads = await Task.WhenAll(started.Select(id => jobs.GetAsync(new JobRef(s.Definition.From, id), watch: false)));
        return reads.OfType<JobSnapshot>().ToDictionary(j => j.Job.JobId, StringComparer.Ordinal);
    }

    private static ProblemHttpResult? CheckName(string name, ScheduleServices services) =>
        JobIdentifiers.Check("name", name, services.JobOptions.Value.MaxIdLength - ScheduleTimes.JobIdSuffixLength) is { } problem
            ? SysCmdRequestReader.Invalid(new(StringComparer.Ordinal) { ["name"] = [problem] }, "Invalid schedule name")
            : null;

    private static ProblemHttpResult OperatorOnly() =>
        JobResults.Problem(StatusCodes.Status403Forbidden, "Schedules are the operator's",
            "Only an admin key of the default tenant manages or reads schedules; a tenant's keys cannot (per-tenant schedules are not built).");

    private static ProblemHttpResult Missing(string name) =>
        JobResults.Problem(StatusCodes.Status404NotFound, "No such schedule", $"There is no schedule named '{name}'. GET /schedules lists them.");
}

/// <summary>What the schedule endpoints use, bound with [AsParameters].</summary>
public sealed record ScheduleServices(
    IScheduleStore Store, ScheduleRequestReader Reader, IJobClient Jobs, TimeProvider Time,
    IOptions<ScheduleOptions> Options, IOptions<ApiOptions> Api, IOptions<JobOptions> JobOptions, AuditTrail Audit, Caller Caller);
