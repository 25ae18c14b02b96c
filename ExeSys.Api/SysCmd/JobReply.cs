using System.Text.Json.Serialization;
using ExeSys.Core.Auth;
using ExeSys.Core.Jobs;

namespace ExeSys.Api.SysCmd;

/// <summary>
/// The state of one job. Clients of the original ExeSys test whether the reply contains <c>data_available</c> and
/// then read <c>data</c>; nothing else in a reply ever contains that text before the job has finished.
/// </summary>
/// <param name="Resp">The state's name: start, standby, processing, data_available or error.</param>
/// <param name="State">The state code: 0 start, 1 standby, 2 processing, 3 data_available, 4 error.</param>
/// <param name="Data">The EOJ value, present in state 3 only.</param>
/// <param name="Error">What went wrong: in state 4, and in state 1 while a failed job waits for another attempt.</param>
/// <param name="RetryAt">When the next attempt may start, while a failed job waits in state 1.</param>
/// <param name="Errors">Every failed attempt's error, oldest first, once there has been more than one.</param>
/// <param name="Progress">The latest intermediate result a running function (a forever runner) published.</param>
/// <param name="Worker">The worker that holds or last ran the job, with <c>?input=true</c> and to admin keys of the default tenant only (a worker id names its host).</param>
/// <param name="Input">The job's own data as submitted (a graph node's: its data in the graph), only when asked for with <c>GET /jobs/{from}/{job_id}?input=true</c>: a reply must not contain <c>data_available</c> before the job has finished, and a job's input may.</param>
/// <param name="Poll">Where to read the job's state: <c>GET</c> it, optionally with <c>?wait=5s</c>.</param>
public sealed record JobReply(
    [property: JsonPropertyName("resp")] string Resp,
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("updated")] DateTimeOffset Updated,
    [property: JsonPropertyName("poll")] string Poll,
    [property: JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RawJson? Data,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonPropertyName("retry_at"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RetryAt,
    [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Errors,
    [property: JsonPropertyName("progress"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RawJson? Progress,
    [property: JsonPropertyName("input"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RawJson? Input = null,
    [property: JsonPropertyName("worker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker = null)
{
    public static string PollPath(JobRef job) => $"/jobs/{job.From}/{TenantIds.Strip(job.JobId)}";

    public static JobReply Of(JobSnapshot s) => new(
        s.State.ToWireName(),
        (int)s.State,
        s.Job.From,
        TenantIds.Strip(s.Job.JobId),
        s.To,
        s.Cmd,
        s.Priority.ToWireName(),
        s.Attempts,
        DateTimeOffset.FromUnixTimeMilliseconds(s.CreatedMs),
        DateTimeOffset.FromUnixTimeMilliseconds(s.UpdatedMs),
        PollPath(s.Job),
        s.State == JobState.DataAvailable && s.ResultJson is not null ? new RawJson(s.ResultJson) : null,
        s.State == JobState.Error ? s.Error ?? "The job failed." : s.RetryAtMs is null ? null : s.Error,
        s.State == JobState.Standby && s.RetryAtMs is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
        s.Errors is { Count: > 1 } ? s.Errors : null,
        s.ProgressJson is null ? null : new RawJson(s.ProgressJson));
}

/// <summary>The answer to a stop request.</summary>
/// <param name="Applied">True when the stop was requested; false when the job had already ended.</param>
public sealed record StopReply(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("applied")] bool Applied,
    [property: JsonPropertyName("detail")] string Detail);
