using System.Text.Json;
using ExeSys.Api.Hosting;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Schedules;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Schedules;

/// <summary>
/// Recurring jobs: cron or interval schedules, each firing one job (or workflow run) named by the schedule and its fire
/// time. Schedules are per tenant, as jobs and definitions are: the API qualifies a schedule's name (and its workflow's
/// definition name) for the caller's tenant at its edge (<see cref="Caller.Qualify"/>), so a tenant's firing
/// <c>&lt;tenant&gt;~&lt;name&gt;.&lt;time&gt;</c> is exactly the tenant-qualified job_id of its job; another tenant's
/// schedule answers 404 and is never listed. Changes need <c>admin</c> (as definitions do), reads <c>read</c>, and
/// pause, resume and trigger <c>operate</c>.
/// </summary>
public static class SchedulesApi
{
    private const int MaxPage = 500;

    public static IEndpointRouteBuilder MapSchedules(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/schedules").WithTags("Schedules").RequireAuthorization(Scopes.Admin);
        var read = app.MapGroup("/schedules").WithTags("Schedules").RequireAuthorization(Scopes.Read);
        var operate = app.MapGroup("/schedules").WithTags("Schedules").RequireAuthorization(Scopes.Operate);

        admin.MapPost("", CreateAsync)
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
                however many controllers run, in the caller's tenant (GET /jobs/{from}/{job_id} with a key of that tenant reads it).
                The name is the tenant's own: another tenant may use it too. A bad field gets 400 naming it; a "from" outside the
                key's patterns gets 403 naming "command.from" or "workflow.from"; nothing is stored.
                """)
            .Produces<ScheduleReply>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

        read.MapGet("", ListAsync)
            .WithName("ListSchedules")
            .WithSummary("The caller's tenant's schedules by name, a page at a time (?after=<name>&limit=100, at most 500); total is the tenant's count")
            .Produces<SchedulePage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        read.MapGet("/{name}", GetAsync)
            .WithName("GetSchedule")
            .WithSummary("One schedule: its definition, next fire times, and last runs with their jobs' states")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPut("/{name}", UpdateAsync)
            .WithName("UpdateSchedule")
            .WithSummary("Replace a schedule's definition (the body of a create; 'name' may be left out). Its next fire time is computed anew from now.")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapDelete("/{name}", DeleteAsync)
            .WithName("DeleteSchedule")
            .WithSummary("Delete a schedule (its jobs stay, as any job)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        operate.MapPost("/{name}/pause", PauseAsync)
            .WithName("PauseSchedule")
            .WithSummary("Pause: nothing fires until resumed")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        operate.MapPost("/{name}/resume", ResumeAsync)
            .WithName("ResumeSchedule")
            .WithSummary("Resume: it fires again from its next fire time after now (the firings missed while paused do not fire)")
            .Produces<ScheduleReply>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        operate.MapPost("/{name}/trigger", TriggerAsync)
            .WithName("TriggerSchedule")
            .WithSummary("Fire now, outside the timetable: one job named by this second, started within one controller tick")
            .WithDescription("The job is submitted as the schedule's from, so the key's 'from' patterns must allow it (else 403 naming command.from or workflow.from).")
            .Produces<TriggerReply>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status403Forbidden)
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
            var (definition, paused, errors) = await services.Reader.ReadAsync(doc.RootElement, null, null, services.Caller);
            if (definition is null)
            {
                return SysCmdRequestReader.Invalid(errors, "Invalid schedule");
            }

            if (FromRefused(services.Caller, definition) is { } refused)
            {
                return refused;
            }

            var name = TenantIds.Strip(definition.Name);
            var outcome = await services.Store.SaveAsync(definition, create: true, NextFromNow(definition, services.Time), paused);
            return outcome switch
            {
                // The name is in use in the caller's own tenant: another tenant's schedule of that name is no conflict.
                ScheduleSaveOutcome.Exists => JobResults.Problem(StatusCodes.Status409Conflict, "Schedule exists",
                    $"A schedule named '{name}' exists: PUT /schedules/{name} replaces it."),
                ScheduleSaveOutcome.Full => JobResults.Problem(StatusCodes.Status409Conflict, "Too many schedules",
                    $"{services.Options.Value.MaxSchedules} schedules are stored, the most allowed (ExeSys:Schedules:MaxSchedules, a bound on every tenant's together): delete one first."),
                _ => await AuditedAsync(services, "schedule.create", name, TypedResults.Created($"/schedules/{name}", await ReplyAsync(definition.Name, services))),
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

        var qualified = services.Caller.Qualify(name);
        var stored = await services.Store.GetAsync(qualified);
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
            var (definition, paused, errors) = await services.Reader.ReadAsync(doc.RootElement, name, stored.Definition.StartMs is null ? stored.Definition.AnchorMs : null, services.Caller);
            if (definition is null)
            {
                return SysCmdRequestReader.Invalid(errors, "Invalid schedule");
            }

            if (FromRefused(services.Caller, definition) is { } refused)
            {
                return refused;
            }

            return await services.Store.SaveAsync(definition, create: false, NextFromNow(definition, services.Time), paused) == ScheduleSaveOutcome.Saved
                ? await AuditedAsync(services, "schedule.update", name, TypedResults.Ok(await ReplyAsync(qualified, services)))
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

        var caller = services.Caller;
        var listing = await services.Store.ListAsync(caller.Tenant, after is null ? null : caller.Qualify(after), take);
        var replies = new List<ScheduleReply>(listing.Schedules.Count);
        foreach (var s in listing.Schedules)
        {
            replies.Add(ScheduleReply.Of(s, services.Options.Value.NextShown, await StatesAsync(s, services.Jobs)));
        }

        return TypedResults.Ok(new SchedulePage(replies, listing.Total, listing.NextAfter is { } next ? TenantIds.Strip(next) : null));
    }

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> GetAsync(string name, [AsParameters] ScheduleServices services) =>
        CheckName(name, services) ?? (Results<Ok<ScheduleReply>, ProblemHttpResult>)(await ReplyOrNullAsync(services.Caller.Qualify(name), services) is { } reply ? TypedResults.Ok(reply) : Missing(name));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, [AsParameters] ScheduleServices services) =>
        CheckName(name, services) ?? (Results<NoContent, ProblemHttpResult>)(await services.Store.DeleteAsync(services.Caller.Qualify(name)) == ScheduleSaveOutcome.Saved ? await AuditedAsync(services, "schedule.delete", name, TypedResults.NoContent()) : Missing(name));

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> PauseAsync(string name, [AsParameters] ScheduleServices services)
    {
        if (CheckName(name, services) is { } bad)
        {
            return bad;
        }

        var qualified = services.Caller.Qualify(name);
        return await services.Store.PauseAsync(qualified) == ScheduleSaveOutcome.Saved
            ? await AuditedAsync(services, "schedule.pause", name, TypedResults.Ok(await ReplyAsync(qualified, services)))
            : Missing(name);
    }

    private static async Task<Results<Ok<ScheduleReply>, ProblemHttpResult>> ResumeAsync(string name, [AsParameters] ScheduleServices services)
    {
        if (CheckName(name, services) is { } bad)
        {
            return bad;
        }

        var qualified = services.Caller.Qualify(name);
        if (await services.Store.GetAsync(qualified) is not { } stored)
        {
            return Missing(name);
        }

        var definition = stored.Definition;
        return await services.Store.ResumeAsync(qualified, definition, NextFromNow(definition, services.Time)) == ScheduleSaveOutcome.Saved
            ? await AuditedAsync(services, "schedule.resume", name, TypedResults.Ok(await ReplyAsync(qualified, services)))
            : Missing(name);
    }

    private static async Task<Results<Accepted<TriggerReply>, ProblemHttpResult>> TriggerAsync(string name, [AsParameters] ScheduleServices services)
    {
        if (CheckName(name, services) is { } bad)
        {
            return bad;
        }

        var qualified = services.Caller.Qualify(name);
        if (await services.Store.GetAsync(qualified) is not { } stored)
        {
            return Missing(name);
        }

        // A trigger submits a job as the schedule's from now: the key must be allowed to, as for a submit.
        if (FromRefused(services.Caller, stored.Definition) is { } refused)
        {
            return refused;
        }

        var fire = services.Time.GetUtcNow().ToUnixTimeMilliseconds() / 1000 * 1000;
        // The stored name is qualified, so the firing's job_id is the tenant-qualified job_id of the tenant's own job.
        var job = new JobRef(stored.Definition.From, ScheduleTimes.JobId(qualified, fire));
        var jobId = TenantIds.Strip(job.JobId);
        var reply = new TriggerReply(name, DateTimeOffset.FromUnixTimeMilliseconds(fire), job.From, jobId, JobReply.PollPath(job));
        return await services.Store.TriggerAsync(qualified, fire) switch
        {
            ScheduleSaveOutcome.Saved => await AuditedAsync(services, "schedule.trigger", name, TypedResults.Accepted(reply.Poll, reply)),
            ScheduleSaveOutcome.Exists => JobResults.Problem(StatusCodes.Status409Conflict, "Already triggered",
                $"Schedule '{name}' was already triggered this second: its firing is job '{jobId}'."),
            _ => Missing(name),
        };
    }

    /// <summary>
    /// A schedule action goes to the audit trail (log, and MongoDB when on) with the name as the client wrote it, as
    /// definitions do: the record names the key's tenant beside it.
    /// </summary>
    private static async Task<T> AuditedAsync<T>(ScheduleServices services, string action, string name, T result)
    {
        await services.Audit.RecordAsync(services.Caller, action, name);
        return result;
    }

    /// <summary>403 naming command.from or workflow.from when the caller's key may not submit as the schedule's from.</summary>
    private static ProblemHttpResult? FromRefused(Caller caller, ScheduleDefinition definition) =>
        SysCmdApi.FromRefused(caller, definition.From, definition.Command is null ? "workflow.from" : "command.from");

    /// <summary>The next fire time after now: a new, updated or resumed schedule never fires for times already past.</summary>
    private static long? NextFromNow(ScheduleDefinition definition, TimeProvider time) =>
        ScheduleTimes.Next(definition, time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <param name="qualified">The schedule's name as stored (<see cref="Caller.Qualify"/>).</param>
    private static async Task<ScheduleReply> ReplyAsync(string qualified, ScheduleServices services) =>
        await ReplyOrNullAsync(qualified, services) ?? throw new InvalidOperationException($"Schedule '{qualified}' vanished while it was written.");

    private static async Task<ScheduleReply?> ReplyOrNullAsync(string qualified, ScheduleServices services) =>
        await services.Store.GetAsync(qualified) is { } s ? ScheduleReply.Of(s, services.Options.Value.NextShown, await StatesAsync(s, services.Jobs)) : null;

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

    /// <summary>No schedule of that name in the caller's tenant: another tenant's of the same name answers this too.</summary>
    private static ProblemHttpResult Missing(string name) =>
        JobResults.Problem(StatusCodes.Status404NotFound, "No such schedule", $"There is no schedule named '{name}'. GET /schedules lists them.");
}

/// <summary>What the schedule endpoints use, bound with [AsParameters].</summary>
public sealed record ScheduleServices(
    IScheduleStore Store, ScheduleRequestReader Reader, IJobClient Jobs, TimeProvider Time,
    IOptions<ScheduleOptions> Options, IOptions<ApiOptions> Api, IOptions<JobOptions> JobOptions, AuditTrail Audit, Caller Caller);
