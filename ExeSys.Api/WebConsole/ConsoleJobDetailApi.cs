using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.WebConsole;

/// <summary>One job as the console's job page shows it: the reply of <c>GET /jobs/{from}/{job_id}</c> and what that leaves out.</summary>
/// <param name="Job">The job's state, exactly as <c>GET /jobs/{from}/{job_id}</c> answers.</param>
/// <param name="Input">The command's <c>data</c>, as submitted (the console's re-run sends it again).</param>
/// <param name="Worker">The worker that holds or last ran the job: admin keys of the default tenant only (a worker id names its host).</param>
public sealed record ConsoleJobReply(
    [property: JsonPropertyName("job")] JobReply Job,
    [property: JsonPropertyName("input")] RawJson Input,
    [property: JsonPropertyName("worker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker);

/// <summary><c>GET /console/api/job/{from}/{job_id}</c>: a job of the key's tenant with its input, for the job page.</summary>
public static class ConsoleJobDetailApi
{
    public static IEndpointRouteBuilder MapConsoleJobDetail(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/console/api").WithTags("Console").RequireAuthorization(Scopes.Read)
            .MapGet("/job/{from}/{job_id}", GetAsync)
            .WithName("ConsoleJob")
            .WithSummary("One job of the key's tenant for the console: its state (as GET /jobs/{from}/{job_id}), its input data, and its worker (admin keys only)")
            .Produces<ConsoleJobReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<ConsoleJobReply>, ProblemHttpResult>> GetAsync(
        string from, [FromRoute(Name = "job_id")] string jobId, IJobClient store, IJobHistory history, IOptions<JobOptions> jobOptions, Caller caller, CancellationToken cancellationToken)
    {
        if (JobResults.CheckJobRoute(from, jobId, jobOptions.Value.MaxIdLength) is { } badRoute)
        {
            return badRoute;
        }

        var job = new JobRef(from, caller.Qualify(jobId));
        var snapshot = await store.GetAsync(job, watch: false) ?? (history.Enabled ? await history.FindSnapshotAsync(job, cancellationToken) : null);
        if (snapshot is null)
        {
            return JobResults.Problem(StatusCodes.Status404NotFound, "No such job",
                $"There is no job '{jobId}' from '{from}': it was never submitted, or its retention has passed.");
        }

        return TypedResults.Ok(new ConsoleJobReply(JobReply.Of(snapshot), new RawJson(string.IsNullOrEmpty(snapshot.DataJson) ? "null" : snapshot.DataJson),
            caller.SeesInternals && !string.IsNullOrEmpty(snapshot.Worker) ? snapshot.Worker : null));
    }
}
