using System.Text.Json;
using ExeSys.Api.Functions;
using ExeSys.Api.Hosting;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Stats;
using ExeSys.Core.Storage;
using ExeSys.Core.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Workflows;

/// <summary>Whole graphs in one request, named definitions, the run's graph state, and operator control.</summary>
public static class WorkflowsApi
{
    private static readonly string[] RunFields = ["from", "job_id", "data", "priority", "workflow", "start", "nodes"];
    private static readonly string[] DefinitionFields = ["start", "nodes"];

    public static IEndpointRouteBuilder MapWorkflows(this IEndpointRouteBuilder app)
    {
        var submit = app.MapGroup("/workflows").WithTags("Workflows").RequireAuthorization(Scopes.Submit);
        var read = app.MapGroup("/workflows").WithTags("Workflows").RequireAuthorization(Scopes.Read);
        var operate = app.MapGroup("/workflows").WithTags("Workflows").RequireAuthorization(Scopes.Operate);
        var admin = app.MapGroup("/workflows").WithTags("Workflows").RequireAuthorization(Scopes.Admin);

        submit.MapPost("", SubmitAsync)
            .WithName("SubmitWorkflow")
            .WithSummary("Run a workflow graph")
            .WithDescription("""
                Body: {"from", "job_id", "data"?, "priority"?, and either "nodes" (+ optional "start") or "workflow": "<name>"}.
                Each node is {"cmd", "data"?, "next": [...], "retry"?: {"max_attempts", "backoff"}, "timeout"?}; an item of
                "next" is a node name, "end_job", or {"to", "when": {"path", "equals"|"not_equals"|"in"|"exists"|"gt"|"gte"|"lt"|"lte"}}.
                A node waits for all its predecessors; it runs if any edge into it was taken and is skipped otherwise.
                A graph has at most 10,000 nodes (any shape); a larger one gets 400 and nothing is written.
                A node sees its own data and its predecessors' results (start nodes see the run's data as "start_job").
                The run's EOJ is the result of the node leading to end_job, or an object of them by name if several do.
                Re-sending the same run reads it; ?wait=5s waits for the result.
                With MongoDB history on, a run that has left Redis after its hot retention is answered from the history,
                with the same reply; it is never started again (409 if the graph or data differ, 410 once the history's
                own TTL has passed too, 503 while MongoDB cannot be reached).
                """)
            .Produces<JobReply>(StatusCodes.Status200OK)
            .Produces<JobReply>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        read.MapGet("/{from}/{job_id}", GetAsync)
            .WithName("GetWorkflow")
            .WithSummary("The whole graph of a run: every node's state, times, attempts and error")
            .WithDescription("With MongoDB history on, a run that has left Redis is read from the history (phase and every node as archived).")
            .Produces<WorkflowReply>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        operate.MapPost("/{from}/{job_id}/{action}", ControlAsync)
            .WithName("ControlWorkflow")
            .WithSummary("pause, resume or cancel a run")
            .WithDescription("pause: nothing new starts, running nodes finish. resume: carries on. cancel: the run ends in state 4 'cancelled'; nodes not started never start and running ones are cancelled.")
            .Produces<WorkflowControlReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        operate.MapPost("/{from}/cancel", CancelAllAsync)
            .WithName("CancelClientWorkflows")
            .WithSummary("Cancel every active run of a client")
            .Produces<CancelAllReply>();

        admin.MapPut("/definitions/{name}", SaveDefinitionAsync)
            .WithName("SaveWorkflowDefinition")
            .WithSummary("Register a named definition ({\"start\"?, \"nodes\"}); files in the workflows folder register too")
            .WithDescription("""
                Replaces a definition of the same name. Bounded: a definition over ExeSys:Api:MaxDefinitionBytes (its compact
                JSON) gets 413, and a new name when ExeSys:Api:MaxDefinitions are stored gets 409 (DELETE one first); nothing
                is stored then.
                """)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        admin.MapDelete("/definitions/{name}", DeleteDefinitionAsync)
            .WithName("DeleteWorkflowDefinition")
            .WithSummary("Remove a named definition (a file in the workflows folder registers it again when it changes)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        read.MapGet("/definitions", ListDefinitionsAsync)
            .WithName("ListWorkflowDefinitions")
            .WithSummary("Every named definition");

        return app;
    }

    private static async Task<Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request,
        [FromQuery] string? wait,
        IWorkflowClient workflows,
        IJobClient jobs,
        IJobHistory history,
        IWorkflowDefinitions definitions,
        FunctionDirectory functions,
        CompletionWaiter completions,
        IOptions<ApiOptions> options,
        IOptions<JobOptions> jobOptions,
        RunStatsRecorder stats,
        Caller caller,
        CancellationToken cancellationToken)
    {
        if (!WaitParameter.TryParse(wait, options.Value.MaxWait, out var waitFor, out var waitError))
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid wait", waitError!);
        }

        var (doc, problem) = await JsonBody.ReadAsync(request, options.Value.MaxBodyBytes, "{\"from\", \"job_id\", \"nodes\"}", cancellationToken);
        if (doc is null)
        {
            return problem!;
        }

        using var body = doc;
        var root = doc.RootElement;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        SysCmdRequestReader.CheckFields(root, RunFields, errors);
        var maxLength = jobOptions.Value.MaxIdLength;
        var from = SysCmdRequestReader.RequireId(root, "from", maxLength, errors);
        var jobId = SysCmdRequestReader.RequireId(root, "job_id", maxLength, errors);
        var priority = SysCmdRequestReader.ReadPriority(root, errors);
        var hasName = root.TryGetProperty("workflow", out var nameElement);
        if (hasName == root.TryGetProperty("nodes", out _))
        {
            errors["nodes"] = ["Give either 'nodes' (the graph itself) or 'workflow' (the name of a registered definition)."];
        }

        if (errors.Count > 0)
        {
            return SysCmdRequestReader.Invalid(errors);
        }

        if (SysCmdApi.FromRefused(caller, from!, "from") is { } refused)
        {
            return refused;
        }

        JsonDocument? named = null;
        try
        {
            var graph = root;
            if (hasName)
            {
                var name = nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString()! : "";
                if (JobIdentifiers.Check("workflow", name, maxLength) is not null || await definitions.GetAsync(caller.Qualify(name)) is not { } stored)
                {
                    return JobResults.Problem(StatusCodes.Status404NotFound, "No such workflow definition",
                        $"No workflow definition is named '{name}'. GET /workflows/definitions lists them.");
                }

                named = JsonDocument.Parse(stored);
                graph = named.RootElement;
            }

            // A cmd missing from the cached list is looked up once more, so a worker that just started is seen.
            var known = await functions.KnownAsync();
            foreach (var cmd in CommandsOf(graph).Where(c => !known(c)))
            {
                await functions.FindAsync(cmd);
            }

            var definition = WorkflowParser.Parse(graph, await functions.KnownAsync(), maxLength, [from!], errors);
            if (definition is null)
            {
                return SysCmdRequestReader.Invalid(errors);
            }

            var run = new JobRef(from!, caller.Qualify(jobId!));
            var data = root.TryGetProperty("data", out var d) ? WorkflowParser.TryCompact(d) : "null";
            var canonical = WorkflowParser.TryCompact(graph);
            if (data is null || canonical is null)
            {
                return SysCmdRequestReader.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal)
                {
                    [data is null ? "data" : "nodes"] = ["The request holds a string that is not valid Unicode (a lone surrogate such as \\ud800)."],
                });
            }

            var runRequest = new WorkflowRunRequest(run, definition, $"{{\"graph\":{canonical},\"data\":{data}}}", data, priority);

            using var registration = waitFor > TimeSpan.Zero ? completions.Register(run) : default(CompletionWaiter.Registration?);
            var outcome = await workflows.SubmitAsync(runRequest, watch: registration is not null);
            switch (outcome.Status)
            {
                case WorkflowSubmitStatus.NameTaken:
                    return JobResults.Problem(StatusCodes.Status409Conflict, "job_id already in use",
                        $"job_id '{jobId}' is already used by {outcome.TakenName?.Replace(run.JobId, jobId, StringComparison.Ordinal)}; a workflow's nodes share its job_id, so use a new one.");
                case WorkflowSubmitStatus.Conflict:
                    return RunConflict(run);
                case WorkflowSubmitStatus.Archived:
                    // Only a run whose tombstone says it was archived costs a MongoDB read; a new run never does. The
                    // archived run keeps its canonical request as its data, so a different graph or data is still a 409.
                    return await history.FindSnapshotAsync(run, cancellationToken) switch
                    {
                        null => JobResults.HistoryExpired(run),
                        { Cmd: "workflow" } archived when archived.DataJson == runRequest.DefinitionJson => JobResults.Reply(archived, null),
                        _ => RunConflict(run),
                    };
            }

            if (outcome.Status == WorkflowSubmitStatus.Created)
            {
                stats.RecordSubmitted(caller.Tenant);
            }

            var snapshot = await JobResults.WaitIfAskedAsync(outcome.Snapshot!, registration, waitFor, jobs, cancellationToken);
            return JobResults.Reply(snapshot, outcome.Status == WorkflowSubmitStatus.Created ? WorkflowReply.PollPath(run) : null);
        }
        finally
        {
            named?.Dispose();
        }
    }

    private static async Task<Results<Ok<WorkflowReply>, ProblemHttpResult>> GetAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IWorkflowClient workflows, IJobHistory history, IOptions<JobOptions> jobOptions, Caller caller, CancellationToken cancellationToken)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } bad)
        {
            return bad;
        }

        var run = new JobRef(from, caller.Qualify(jobId));
        var snapshot = await workflows.GetAsync(run) ?? (history.Enabled ? await history.FindWorkflowAsync(run, cancellationToken) : null);
        return snapshot is null
            ? JobResults.Problem(StatusCodes.Status404NotFound, "No such workflow", $"There is no workflow run '{jobId}' from '{from}': it was never started, or its retention has passed.")
            : TypedResults.Ok(WorkflowReply.Of(snapshot));
    }

    private static async Task<Results<Ok<WorkflowControlReply>, ProblemHttpResult>> ControlAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, string action, IWorkflowClient workflows, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } bad)
        {
            return bad;
        }

        WorkflowAction? parsed = action switch
        {
            "pause" => WorkflowAction.Pause,
            "resume" => WorkflowAction.Resume,
            "cancel" => WorkflowAction.Cancel,
            _ => null,
        };
        if (parsed is null)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Unknown action", $"'{action}' is not an action; use pause, resume or cancel.");
        }

        var outcome = await workflows.ControlAsync(new JobRef(from, caller.Qualify(jobId)), parsed.Value);
        if (outcome.Found)
        {
            await audit.RecordAsync(caller, "workflow." + action, $"{from}/{jobId}");
        }

        return outcome.Found
            ? TypedResults.Ok(new WorkflowControlReply(from, jobId, outcome.Applied, outcome.Phase))
            : JobResults.Problem(StatusCodes.Status404NotFound, "No such workflow", $"There is no workflow run '{jobId}' from '{from}'.");
    }

    private static async Task<Results<Ok<CancelAllReply>, ProblemHttpResult>> CancelAllAsync(string from, IWorkflowClient workflows, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit)
    {
        if (JobIdentifiers.Check("from", from, jobOptions.Value.MaxIdLength) is { } bad)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid client", bad);
        }

        // Only the runs of the caller's own tenant: the client's run list holds every tenant's runs of that 'from'.
        var cancelled = await workflows.CancelAllAsync(from, caller.Tenant);
        await audit.RecordAsync(caller, "workflow.cancel_all", $"{from} ({cancelled.Count} runs)");
        return TypedResults.Ok(new CancelAllReply(from, [.. cancelled.Select(TenantIds.Strip)]));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SaveDefinitionAsync(
        string name, HttpRequest request, IWorkflowDefinitions definitions, IOptions<ApiOptions> options, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit, CancellationToken cancellationToken)
    {
        var maxLength = jobOptions.Value.MaxIdLength;
        if (JobIdentifiers.Check("name", name, maxLength) is { } bad)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid name", bad);
        }

        var (doc, problem) = await JsonBody.ReadAsync(request, options.Value.MaxBodyBytes, "{\"start\", \"nodes\"}", cancellationToken);
        if (doc is null)
        {
            return problem!;
        }

        using var body = doc;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        SysCmdRequestReader.CheckFields(doc.RootElement, DefinitionFields, errors);
        // Functions are checked when a run starts: the workers that offer them may not be up yet.
        if (errors.Count > 0 || WorkflowParser.Parse(doc.RootElement, _ => true, maxLength, [], errors) is null)
        {
            return SysCmdRequestReader.Invalid(errors);
        }

        var json = WorkflowParser.TryCompact(doc.RootElement) ?? doc.RootElement.GetRawText();
        if (DefinitionBounds.TooLarge(json, options.Value) is { } tooLarge)
        {
            return JobResults.Problem(StatusCodes.Status413PayloadTooLarge, "Definition too large", tooLarge);
        }

        if (!await definitions.SaveAsync(caller.Qualify(name), json, options.Value.MaxDefinitions))
        {
            return JobResults.Problem(StatusCodes.Status409Conflict, "Too many definitions", DefinitionBounds.Full(name, options.Value));
        }

        await audit.RecordAsync(caller, "definition.save", name);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteDefinitionAsync(string name, IWorkflowDefinitions definitions, IOptions<JobOptions> jobOptions, Caller caller, AuditTrail audit)
    {
        if (JobIdentifiers.Check("name", name, jobOptions.Value.MaxIdLength) is { } bad)
        {
            return JobResults.Problem(StatusCodes.Status400BadRequest, "Invalid name", bad);
        }

        if (await definitions.DeleteAsync(caller.Qualify(name)))
        {
            await audit.RecordAsync(caller, "definition.delete", name);
            return TypedResults.NoContent();
        }

        return JobResults.Problem(StatusCodes.Status404NotFound, "Workflow definition not found", $"No workflow definition is named '{name}'. GET /workflows/definitions lists them.");
    }

    private static async Task<Ok<IReadOnlyDictionary<string, JsonElement>>> ListDefinitionsAsync(IWorkflowDefinitions definitions, Caller caller)
    {
        var all = await definitions.ListAsync();
        return TypedResults.Ok<IReadOnlyDictionary<string, JsonElement>>(all.Where(kv => caller.Owns(kv.Key))
            .ToDictionary(kv => TenantIds.Strip(kv.Key), kv => JsonDocument.Parse(kv.Value).RootElement.Clone(), StringComparer.Ordinal));
    }

    private static ProblemHttpResult RunConflict(JobRef run) =>
        JobResults.Problem(StatusCodes.Status409Conflict, "job_id already used for another command",
            $"Job '{TenantIds.Strip(run.JobId)}' from '{run.From}' was submitted with a different graph or data. Re-send the identical request to read it, or use a new job_id.");

    private static List<string> CommandsOf(JsonElement graph) =>
        graph.TryGetProperty("nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Object
            ? nodes.EnumerateObject()
                .Select(n => n.Value.ValueKind == JsonValueKind.Object && n.Value.TryGetProperty("cmd", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : null)
                .OfType<string>().Distinct(StringComparer.Ordinal).ToList()
            : [];
}
