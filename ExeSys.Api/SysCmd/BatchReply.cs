using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace ExeSys.Api.SysCmd;

/// <summary>The answer to <c>POST /sys_cmd/batch</c>: per command, in order, what <c>POST /sys_cmd</c> would have answered.</summary>
/// <param name="Jobs">One entry per command of the batch, in the batch's order.</param>
/// <param name="Finished">How many jobs have finished (state 3 or 4).</param>
/// <param name="Problems">How many commands got a problem instead of a job (409, 410, 422).</param>
public sealed record BatchReply(
    [property: JsonPropertyName("jobs")] IReadOnlyList<BatchItem> Jobs,
    [property: JsonPropertyName("finished")] int Finished,
    [property: JsonPropertyName("problems")] int Problems)
{
    internal static BatchReply Of(IReadOnlyList<Results<Ok<JobReply>, Accepted<JobReply>, ProblemHttpResult>> replies)
    {
        var items = replies.Select(r => r.Result switch
        {
            Ok<JobReply> ok => new BatchItem(StatusCodes.Status200OK, ok.Value, null),
            Accepted<JobReply> accepted => new BatchItem(StatusCodes.Status202Accepted, accepted.Value, null),
            ProblemHttpResult problem => new BatchItem(problem.StatusCode, null, problem.ProblemDetails),
            var other => throw new InvalidOperationException($"Unexpected reply {other?.GetType().Name} in a batch."),
        }).ToList();
        return new BatchReply(items, items.Count(i => i.Status == StatusCodes.Status200OK), items.Count(i => i.Problem is not null));
    }
}

/// <summary>One command's answer in a batch.</summary>
/// <param name="Status">The HTTP status <c>POST /sys_cmd</c> would have answered this command with.</param>
/// <param name="Job">The job's state (status 200 or 202), as <c>POST /sys_cmd</c> returns it.</param>
/// <param name="Problem">Why the command was not taken (status 409, 410 or 422).</param>
public sealed record BatchItem(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("job"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JobReply? Job,
    [property: JsonPropertyName("problem"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProblemDetails? Problem);
