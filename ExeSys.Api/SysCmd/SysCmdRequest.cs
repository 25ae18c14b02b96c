using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExeSys.Api.SysCmd;

/// <summary>A command for <c>POST /sys_cmd</c>, the original ExeSys message.</summary>
/// <param name="From">Who sends it: a client name, or a workflow step. Together with job_id it identifies the job.</param>
/// <param name="To"><c>end_job</c> for a single job; in a workflow, the next step.</param>
/// <param name="Cmd">The function to run, e.g. <c>test_cmd</c>. GET /functions lists them.</param>
/// <param name="Data">Any JSON value: the function's input. Optional; null when absent.</param>
/// <param name="JobId">A client-chosen id, typically a UUID. Re-sending the same from/job_id reads the job instead of starting it again.</param>
/// <param name="Priority">Optional: <c>high</c>, <c>normal</c> (default) or <c>low</c>.</param>
/// <param name="Queue">Optional: the queue to wait in, instead of the function's routed one (ExeSys:Queues:Routes); only a queue the route allows.</param>
/// <param name="ConcurrencyKey">Optional: at most <c>concurrency_limit</c> jobs with this key run at once, across all
/// workers (e.g. <c>incident-42</c>); the others wait in the queue, holding no worker. Letters, digits, '-', '_', '.'; at most 128.</param>
/// <param name="ConcurrencyLimit">Optional, with a concurrency_key: how many jobs with that key may run at once (1..10000, default 1).</param>
public sealed record SysCmdRequest(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("cmd")] string Cmd,
    [property: JsonPropertyName("data")] JsonElement? Data,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("priority")] string? Priority,
    [property: JsonPropertyName("queue")] string? Queue = null,
    [property: JsonPropertyName("concurrency_key")] string? ConcurrencyKey = null,
    [property: JsonPropertyName("concurrency_limit")] int? ConcurrencyLimit = null);
