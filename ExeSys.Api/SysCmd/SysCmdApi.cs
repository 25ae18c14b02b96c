using ExeSys.Api.Functions;
using ExeSys.Api.Hosting;
using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Queues;
using ExeSys.Core.Stats;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.SysCmd;

/// <summary><c>POST /sys_cmd</c>, ExeSys's front door, and <c>GET /jobs/{from}/{job_id}</c>, its REST-style read.</summary>
public static class SysCmdApi
{
    public static IEndpointRouteBuilder MapSysCmd(this IEndpointRouteBuilder app)
    {
        var submit = app.MapGroup("").WithTags("Jobs").RequireAuthorization(Scopes.Submit);
        var read = app.MapGroup("").WithTags("Jobs").RequireAuthorization(Scopes.Read);
        var operate = app.MapGroup("").WithTags("Jobs").RequireAuthorization(Scopes.Operate);

        submit.MapPost("/sys_cmd", SubmitAsync)
            .WithName("SysCmd")
            .WithSummary("Submit a command, or read it back by re-sending it")
            .WithDescription("""
                A new from/job_id is written in state 0 and queued, or, when a worker is idle, started for it at once
                (state 2, attempt 1): 202 with its state and the URL to poll.
                Re-sending the same command never starts it again: it returns the job's state, and once the job has
                finished, "resp":"data_available" with the EOJ in "data" (200), or state 4 with "error" (200).
                Add ?wait=5s to wait for the result in the same call.
                A delayed job: "run_at" (ISO 8601 with an offset, e.g. "2026-12-06T10:00:00Z") or "delay" ("30s", "5m",
                "2h", "1d" or ISO 8601 "PT30S"), at most ExeSys:Jobs:MaxDelay ahead. It waits in standby (state 1, "retry_at"
                says when) without a worker, and starts within one controller tick of its time; a time already past starts at once.
                The same job_id with a different cmd, to or data is 409.
                With MongoDB history on, a job that has left Redis after its hot retention is answered from the history,
                with the same reply; it is never started again (410 once the history's own TTL has passed too).
                """)
            .Produces<JobReply>(StatusCodes.Status200OK)
            .Produces<JobReply>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        submit.MapPost("/sys_cmd/batch", SubmitBatchAsync)
            .WithName("SysCmdBatch")
            .WithSummary("Submit many commands in one request")
            .WithDescription("""
                A JSON array of commands, each exactly what POST /sys_cmd takes (at most ExeSys:Api:MaxBatchCommands).
                Every command gets the answer /sys_cmd would have given it, in order: "status" is that HTTP status
                (202 created or still running, 200 finished, 409 job_id used for another command, 410, 422 unknown
                function) with "job" (the job's state, as from /sys_cmd) or "problem" (a ProblemDetails).
                A malformed command, or two with the same from/job_id, refuses the whole batch with 400 and writes nothing.
                ?wait=5s waits until every job of the batch has finished, or the time is up.
                """)
            .Produces<BatchReply>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        read.MapGet("/jobs/{from}/{job_id}", GetAsync)
            .WithName("GetJob")
            .WithSummary("Read one job's state")
            .WithDescription("The same reply as re-sending the command, without needing its body. ?wait=5s waits for the job to finish. ?input=true adds the job's own data as submitted (\"input\"; a graph node's data in its graph) and, for admin keys of the default tenant, the worker that holds or last ran it (\"worker\"). With MongoDB history on, a job that has left Redis is read from the history.")
            .Produces<JobReply>(StatusCodes.Status200OK)
            .Produces<JobReply>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        operate.MapPost("/jobs/{from}/{job_id}/stop", StopAsync)
            .WithName("StopRunner")
            .WithSummary("Ask a forever runner to stop")
            .WithDescription("The runner finishes its current unit of work within about a second and ends in state 3 with its final EOJ. A stop sent before the runner started makes it end at once; stopping a job that has already ended is harmless (applied: false).")
            .Produces<StopReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    private static async Task<Results<Ok<StopReply>, ProblemHttpResult>> StopAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IJobClient store, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } badRoute)
        {
            return badRoute;
        }

        var outcome = await store.RequestStopAsync(new JobRef(from, caller.Qualify(jobId)));
        if (outcome == StopOutcome.Requested)
        {
            await audit.RecordAsync(caller, "job.stop", $"{from}/{jobId}");
        }

        return outcome switch
        {
            StopOutcome.Requested => TypedResults.Ok(new StopReply(from, jobId, true, "stop requested")),
            StopOutcome.AlreadyEnded => TypedResults.Ok(new StopReply(from, jobId, false, "the job had already ended")),
            _ => JobResults.Problem(StatusCodes.Status404NotFound, "No such job", $"There is no job '{jobId}' from '{from}'."),
        };
    }

    /// <param name="wait">Optional: how long to wait for the result, e.g. 5s or 500ms (at most ExeSys:Api:MaxWait).</param>
    /// <param name="operation">'workflow' marks a step of a workflow: it waits in standby until the step whose 'to' names this step's 'from' has finished.</param>
    private static async Task<Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request,
        [FromQuery] string? wait,
        [FromHeader(Name = "Operation")] string? operation,
        [AsParameters] SubmitServices services,
        Caller caller,
        CancellationToken cancellationToken)
    {
        var (reader, store, history, functions, completions, options, routing, stats) = services;
        if (ReadQuery(operation, wait, options.Value.MaxWait, out var isStep, out var waitFor) is { } badQuery)
        {
            return badQuery;
        }

        var (command, problem) = await reader.ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (FromRefused(caller, command!.Job.From, "from") is { } refused)
        {
            return refused;
        }

        command = command with { IsWorkflowStep = isStep, Job = command.Job with { JobId = caller.Qualify(command.Job.JobId) } };
        if (isStep && command.ConcurrencyKey is not null)
        {
            return StepWithKey(null);
        }

        if (isStep && command.RunAtMs is not null)
        {
            return DelayedStep(null);
        }

        var (known, all) = await functions.FindAsync(command.Cmd);
        if (!known && !routing.IsRouted(command.Cmd))
        {
            return await UnknownFunctionAsync(command, all, store, history, cancellationToken);
        }

        using var registration = waitFor > TimeSpan.Zero ? completions.Register(command.Job) : default(CompletionWaiter.Registration?);
        var outcome = await store.SubmitAsync(command, watch: registration is not null);
        if (outcome.Status == SubmitStatus.Created)
        {
            stats.RecordSubmitted(caller.Tenant);
        }

        return await AnswerAsync(command, outcome, registration, waitFor, store, history, cancellationToken);
    }

    /// <param name="wait">Optional: how long to wait for every job of the batch to finish, e.g. 5s (at most ExeSys:Api:MaxWait).</param>
    /// <param name="operation">'workflow' marks every command of the batch as a workflow step, as on /sys_cmd.</param>
    private static async Task<Results<Ok<BatchReply>, ProblemHttpResult>> SubmitBatchAsync(
        HttpRequest request,
        [FromQuery] string? wait,
        [FromHeader(Name = "Operation")] string? operation,
        [AsParameters] SubmitServices services,
        Caller caller,
        CancellationToken cancellationToken)
    {
        var (reader, store, history, functions, completions, options, routing, stats) = services;
        if (ReadQuery(operation, wait, options.Value.MaxWait, out var isStep, out var waitFor) is { } badQuery)
        {
            return badQuery;
        }

        var (read, problem) = await reader.ReadBatchAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var submitted = read!.ToList();
        if (submitted.FindIndex(c => !caller.MayUse(c.Job.From)) is var badFrom and >= 0)
        {
            return FromRefused(caller, submitted[badFrom].Job.From, $"[{badFrom}].from")!;
        }

        var commands = submitted.Select(c => c with { IsWorkflowStep = isStep, Job = c.Job with { JobId = caller.Qualify(c.Job.JobId) } }).ToList();
        if (isStep && commands.FindIndex(c => c.ConcurrencyKey is not null) is var keyed and >= 0)
        {
            return StepWithKey(keyed);
        }

        if (isStep && commands.FindIndex(c => c.RunAtMs is not null) is var delayed and >= 0)
        {
            return DelayedStep(delayed);
        }

        var replies = new Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>[commands.Count];
        var unknown = new Dictionary<string, IReadOnlyList<FunctionInfo>>(StringComparer.Ordinal);
        foreach (var cmd in commands.Select(c => c.Cmd).Distinct(StringComparer.Ordinal))
        {
            var (known, all) = await functions.FindAsync(cmd);
            if (!known && !routing.IsRouted(cmd))
            {
                unknown[cmd] = all;
            }
        }

        var submit = Enumerable.Range(0, commands.Count).Where(i => !unknown.ContainsKey(commands[i].Cmd)).ToList();
        await Task.WhenAll(Enumerable.Range(0, commands.Count).Where(i => unknown.ContainsKey(commands[i].Cmd)).Select(async i =>
            replies[i] = await UnknownFunctionAsync(commands[i], unknown[commands[i].Cmd], store, history, cancellationToken)));

        var registrations = waitFor > TimeSpan.Zero ? submit.Select(i => completions.Register(commands[i].Job)).ToArray() : null;
        try
        {
            var outcomes = await store.SubmitManyAsync([.. submit.Select(i => commands[i])], watch: registrations is not null);
            stats.RecordSubmitted(caller.Tenant, outcomes.Count(o => o.Status == SubmitStatus.Created));
            await Task.WhenAll(submit.Select(async (i, n) =>
                replies[i] = await AnswerAsync(commands[i], outcomes[n], registrations?[n], waitFor, store, history, cancellationToken)));
        }
        finally
        {
            foreach (var registration in registrations ?? [])
            {
                registration.Dispose();
            }
        }

        return TypedResults.Ok(BatchReply.Of(replies));
    }

    /// <summary>
    /// A command whose function no live worker offers. A re-send must still read a job whose function has since gone
    /// away; only new jobs are refused (422).
    /// </summary>
    private static async Task<Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>> UnknownFunctionAsync(
        JobCommand command, IReadOnlyList<FunctionInfo> all, IJobClient store, IJobHistory history, CancellationToken cancellationToken)
    {
        var existing = await store.GetAsync(command.Job, watch: false) ?? await FromHistoryAsync(history, command.Job, cancellationToken);
        return existing is null ? UnknownFunction(command.Cmd, all) : Reply(existing, command, created: false);
    }

    /// <summary>The answer to one submitted command, alone or in a batch: waits for its result if asked to.</summary>
    private static async Task<Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>> AnswerAsync(
        JobCommand command, SubmitOutcome outcome, CompletionWaiter.Registration? registration, TimeSpan waitFor,
        IJobClient store, IJobHistory history, CancellationToken cancellationToken)
    {
        switch (outcome.Status)
        {
            case SubmitStatus.Archived:
                // Only a job whose tombstone says it was archived costs a MongoDB read; a new submit never does.
                return await FromHistoryAsync(history, command.Job, cancellationToken) is { } archived
                    ? Reply(archived, command, created: false)
                    : JobResults.HistoryExpired(command.Job);
            case SubmitStatus.Conflict:
                return Reply(outcome.Snapshot!, command, created: false);
            default:
                var snapshot = await JobResults.WaitIfAskedAsync(outcome.Snapshot!, registration, waitFor, store, cancellationToken);
                return Reply(snapshot, command, created: outcome.Status == SubmitStatus.Created);
        }
    }

    /// <summary>What the submit endpoints take from the services, bound with [AsParameters].</summary>
    internal readonly record struct SubmitServices(
        SysCmdRequestReader Reader, IJobClient Store, IJobHistory History, FunctionDirectory Functions, CompletionWaiter Completions, IOptions<ApiOptions> Options, QueueRouting Routing, RunStatsRecorder Stats);

    /// <summary>
    /// The Operation header (absent, or 'workflow' for a step that waits for the step before it) and ?wait=, or the
    /// 400 that says what is wrong with them.
    /// </summary>
    /// <summary>
    /// A step of the original protocol is promoted onto the queue by the step before it, which knows nothing of lanes:
    /// a concurrency key there could not hold, so it is refused rather than ignored.
    /// </summary>
    private static ProblemHttpResult StepWithKey(int? index) =>
        SysCmdRequestReader.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [index is { } i ? $"[{i}].concurrency_key" : "concurrency_key"] =
                ["'concurrency_key' is not supported on a workflow step (Operation: workflow): send it on single jobs."],
        });

    private static ProblemHttpResult DelayedStep(int? index) =>
        SysCmdRequestReader.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [index is { } i ? $"[{i}].run_at" : "run_at"] =
                ["'run_at' and 'delay' are not supported on a workflow step (Operation: workflow): a step starts when the step before it finishes."],
        });

    private static ProblemHttpResult? ReadQuery(string? operation, string? wait, TimeSpan maxWait, out bool isStep, out TimeSpan waitFor)
    {
        isStep = !string.IsNullOrEmpty(operation);
        if (isStep && !operation!.Equals("workflow", StringComparison.OrdinalIgnoreCase))
        {
            waitFor = TimeSpan.Zero;
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Unknown Operation header",
                $"The only Operation is 'workflow' (a step that waits for the step before it); got '{operation}'.");
        }

        return WaitParameter.TryParse(wait, maxWait, out waitFor, out var waitError)
            ? null
            : JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid wait", waitError!);
    }

    private static async Task<Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>> GetAsync(
        string from,
        [FromRoute(Name = "job_id")] string jobId,
        [FromQuery] string? wait,
        [FromQuery] bool? input,
        IJobClient store,
        IJobHistory history,
        CompletionWaiter completions,
        IOptions<ApiOptions> options,
        IOptions<JobOptions> jobOptions,
        Caller caller,
        CancellationToken cancellationToken)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } badRoute)
        {
            return badRoute;
        }

        if (ReadQuery(operation: null, wait, options.Value.MaxWait, out _, out var waitFor) is { } badWait)
        {
            return badWait;
        }

        var job = new JobRef(from, caller.Qualify(jobId));
        using var registration = waitFor > TimeSpan.Zero ? completions.Register(job) : default(CompletionWaiter.Registration?);
        var snapshot = await store.GetAsync(job, watch: registration is not null) ?? await FromHistoryAsync(history, job, cancellationToken);
        if (snapshot is null)
        {
            return JobResults.Problem(StatusCodes.Status404NotFound, "No such job",
                $"There is no job '{jobId}' from '{from}': it was never submitted, or its retention has passed.");
        }

        snapshot = await JobResults.WaitIfAskedAsync(snapshot, registration, waitFor, store, cancellationToken);
        return JobResults.Reply(snapshot, location: null, withInput: input == true, withWorker: input == true && caller.SeesInternals);
    }

    /// <summary>403 naming the field when the caller's key may not submit as <paramref name="from"/>; null when it may.</summary>
    internal static ProblemHttpResult? FromRefused(Caller caller, string from, string field) =>
        caller.MayUse(from)
            ? null
            : TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                [field] = [$"This API key may not submit as '{from}'; its 'from' patterns are {string.Join(", ", caller.From.Select(p => $"'{p}'"))}."],
            })
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "'from' not allowed for this key",
                Detail = $"This API key may not submit as '{from}'.",
            });

    /// <summary>A finished job that has left Redis, from the MongoDB history; null when history is off or does not have it.</summary>
    private static async Task<JobSnapshot?> FromHistoryAsync(IJobHistory history, JobRef job, CancellationToken cancellationToken) =>
        history.Enabled ? await history.FindSnapshotAsync(job, cancellationToken) : null;

    private static Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult> Reply(JobSnapshot snapshot, JobCommand? command, bool created)
    {
        if (command is not null && Differences(snapshot, command) is { Count: > 0 } differences)
        {
            return JobResults.Problem(StatusCodes.Status409Conflict, "job_id already used for another command",
                $"Job '{TenantIds.Strip(command.Job.JobId)}' from '{command.Job.From}' was submitted with a different {string.Join(", ", differences)}. " +
                "Re-send the identical command to read it, or use a new job_id.",
                ("existing_cmd", snapshot.Cmd), ("existing_to", snapshot.To));
        }

        return JobResults.Reply(snapshot, created ? JobReply.PollPath(snapshot.Job) : null);
    }

    private static List<string> Differences(JobSnapshot existing, JobCommand command)
    {
        var differences = new List<string>(3);
        if (existing.Cmd != command.Cmd)
        {
            differences.Add($"cmd ('{existing.Cmd}', not '{command.Cmd}')");
        }

        if (existing.To != command.To)
        {
            differences.Add($"to ('{existing.To}', not '{command.To}')");
        }

        if (existing.DataJson != command.DataJson)
        {
            differences.Add("data");
        }

        return differences;
    }

    private static ProblemHttpResult UnknownFunction(string cmd, IReadOnlyList<FunctionInfo> known)
    {
        var names = known.Select(f => f.Name).ToArray();
        var detail = names.Length == 0
            ? $"No live worker offers '{cmd}': no worker is running. Start one (./start_exe_sys.sh starts them) and retry."
            : $"No live worker offers '{cmd}'. Known functions: {string.Join(", ", names)}.";
        return JobResults.Problem(StatusCodes.Status422UnprocessableEntity, "Unknown function", detail, ("known_functions", names));
    }
}
