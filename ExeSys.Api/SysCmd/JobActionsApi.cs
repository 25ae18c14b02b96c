using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.SysCmd;

/// <summary>The answer to an operator's action on a waiting job (cancel, run now).</summary>
/// <param name="Applied">True when the action changed the job; false when it had already ended (harmless).</param>
/// <param name="Status">The job's status after the action: error for a cancelled job, standby for one made due now.</param>
public sealed record JobActionReply(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("applied")] bool Applied,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("detail")] string Detail);

/// <summary>
/// <c>POST /jobs/{from}/{job_id}/cancel</c> and <c>/run-now</c>: an operator ends a job that waits, or starts one that
/// waits for its time now (the console's "Cancel" and "Retry now" / "Run now"). Scope operate; another tenant's job is a 404.
/// </summary>
public static class JobActionsApi
{
    public static IEndpointRouteBuilder MapJobActions(this IEndpointRouteBuilder app)
    {
        var operate = app.MapGroup("/jobs/{from}/{job_id}").WithTags("Jobs").RequireAuthorization(Scopes.Operate);
        operate.MapPost("/cancel", CancelAsync)
            .WithName("CancelWaitingJob")
            .WithSummary("Cancel a job that has not started, or waits for its retry")
            .WithDescription("""
                A job in state 0 (in its queue) or 1 (a retry's backoff, a delay, an event, its chain's predecessor) ends
                at once in state 4 with the error "cancelled by <key name>", as a last failed attempt would: a request
                waiting for it (?wait=) is answered, and the rest of its step chain fails. A running job answers 409
                (POST /jobs/{from}/{job_id}/stop asks a runner to finish); a graph node or run answers 409 (cancel the run
                with POST /workflows/{from}/{job_id}/cancel). A job that has already ended is left as it is (applied: false).
                """)
            .Produces<JobActionReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        operate.MapPost("/run-now", RunNowAsync)
            .WithName("RunWaitingJobNow")
            .WithSummary("Start a job that waits for its time now: retry now, or run a delayed job now")
            .WithDescription("""
                A job in state 1 that waits for a time (its retry's backoff, its run_at or delay, a wait's next look)
                becomes due now and goes onto its function's lane, where the next free worker that offers it starts it;
                its attempts are counted as usual. A graph node in its backoff may be made due too (a paused run still holds
                it). Any other state answers 409 naming it; a job that has already ended is left as it is (applied: false).
                """)
            .Produces<JobActionReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> CancelAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IJobClient store, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } badRoute)
        {
            return badRoute;
        }

        var (outcome, state) = await store.CancelWaitingAsync(new JobRef(from, caller.Qualify(jobId)), $"cancelled by {caller.Name}");
        if (outcome == WaitingJobAction.Applied)
        {
            await audit.RecordAsync(caller, "job.cancel", $"{from}/{jobId}");
        }

        return Answer(from, jobId, outcome, state, "cancelled", outcome switch
        {
            WaitingJobAction.NotWaiting => $"The job is running (state 2). POST /jobs/{from}/{jobId}/stop asks a forever runner to finish; a single job's run cannot be cancelled.",
            _ => "",
        });
    }

    private static async Task<IResult> RunNowAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IJobClient store, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } badRoute)
        {
            return badRoute;
        }

        var (outcome, state) = await store.RunNowAsync(new JobRef(from, caller.Qualify(jobId)));
        if (outcome == WaitingJobAction.Applied)
        {
            await audit.RecordAsync(caller, "job.run_now", $"{from}/{jobId}");
        }

        return Answer(from, jobId, outcome, state, "due now: the next free worker that offers its function starts it", outcome switch
        {
            WaitingJobAction.NotWaiting when state == JobState.Start => "The job is already in its queue (state 0): it starts when a worker that offers its function is free.",
            WaitingJobAction.NotWaiting when state == JobState.Standby => "The job waits for its chain's predecessor (state 1), not for a time: it starts when that step has finished.",
            WaitingJobAction.NotWaiting => $"The job is {state?.ToWireName()} (state {(int?)state}), not waiting for a time.",
            _ => "",
        });
    }

    private static IResult Answer(string from, string jobId, WaitingJobAction outcome, JobState? state, string done, string notWaiting) => outcome switch
    {
        WaitingJobAction.Applied => TypedResults.Ok(new JobActionReply(from, jobId, true, state!.Value.ToWireName(), done)),
        WaitingJobAction.AlreadyEnded => TypedResults.Ok(new JobActionReply(from, jobId, false, state!.Value.ToWireName(), "the job had already ended")),
        WaitingJobAction.GraphPart => JobResults.Problem(StatusCodes.Status409Conflict, "Part of a graph run",
            $"'{jobId}' from '{from}' is a graph run or one of its nodes: pause, resume or cancel the run with POST /workflows/{{from}}/{jobId}/{{action}}."),
        WaitingJobAction.NotWaiting => JobResults.Problem(StatusCodes.Status409Conflict, "Not waiting", notWaiting),
        _ => JobResults.Problem(StatusCodes.Status404NotFound, "No such job", $"There is no job '{jobId}' from '{from}'."),
    };
}
