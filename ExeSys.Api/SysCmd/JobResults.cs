using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Mvc;

namespace ExeSys.Api.SysCmd;

/// <summary>The replies that jobs, steps and workflow runs share: job state, waiting for it, and problems.</summary>
internal static class JobResults
{
    /// <summary>200 once finished (state 3 or 4), else 202; <paramref name="location"/> is set for a job just created.</summary>
    public static Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult> Reply(JobSnapshot snapshot, string? location, bool withInput = false, bool withWorker = false)
    {
        var reply = withInput ? JobReply.Of(snapshot) with { Input = new RawJson(snapshot.DataJson) } : JobReply.Of(snapshot);
        if (withWorker && !string.IsNullOrEmpty(snapshot.Worker))
        {
            reply = reply with { Worker = snapshot.Worker };
        }

        return snapshot.State.IsFinished() ? TypedResults.Ok(reply) : TypedResults.Accepted(location, reply);
    }

    /// <summary>Waits (long-poll) for the job to finish if the caller asked to, then returns its state as of now.</summary>
    public static async Task<JobSnapshot> WaitIfAskedAsync(JobSnapshot snapshot, CompletionWaiter.Registration? registration, TimeSpan waitFor, IJobClient store, CancellationToken cancellationToken)
    {
        if (registration is not { } r || snapshot.State.IsFinished())
        {
            return snapshot;
        }

        // The notification usually carries the finished job, all but its input data, which is the snapshot's (a job's
        // data never changes). Otherwise (time ran out, or a workflow run's notification) the reply is the job's
        // state as of now.
        return await r.WaitAsync(waitFor, cancellationToken) is { } done
            ? done with { DataJson = snapshot.DataJson }
            : await store.GetAsync(snapshot.Job, watch: false) ?? snapshot;
    }

    /// <summary>A 400 when a <c>{from}/{job_id}</c> route names an id outside the safe character set, else null.</summary>
    public static ProblemHttpResult? CheckJobRoute(string from, string jobId, int maxLength) =>
        (JobIdentifiers.Check("from", from, maxLength) ?? JobIdentifiers.Check("job_id", jobId, maxLength)) is { } bad
            ? Problem(StatusCodes.Status400BadRequest, "Invalid job reference", bad)
            : null;

    /// <summary>
    /// 410 for a re-send whose tombstone says it was archived, when the history no longer has it (ExeSys:Mongo:HistoryTtl
    /// has passed, or the document is gone): it finished long ago and is never run again under this job_id.
    /// </summary>
    public static ProblemHttpResult HistoryExpired(JobRef job) =>
        Problem(StatusCodes.Status410Gone, "Job history expired",
            $"Job '{ExeSys.Core.Auth.TenantIds.Strip(job.JobId)}' from '{job.From}' finished long ago and its history has expired (ExeSys:Mongo:HistoryTtl). Use a new job_id to run it again.");

    public static ProblemHttpResult Problem(int status, string title, string detail, params (string Key, object? Value)[] extensions)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        foreach (var (key, value) in extensions)
        {
            problem.Extensions[key] = value;
        }

        return TypedResults.Problem(problem);
    }
}
