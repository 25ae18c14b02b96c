using System.Text.Json;
using ExeSys.Api.Hosting;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Queues;
using ExeSys.Core.Text;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.SysCmd;

/// <summary>
/// Reads and validates a <c>/sys_cmd</c> body, so that every way a body can be wrong (size, media type, syntax,
/// shape, types, ids) gets its own precise 4xx ProblemDetails, and nothing reaches Redis unless all is well.
/// </summary>
public sealed class SysCmdRequestReader(IOptions<ApiOptions> apiOptions, IOptions<JobOptions> jobOptions, QueueRouting routing, TimeProvider time)
{
    private const string Shape = "{\"from\", \"to\", \"cmd\", \"data\", \"job_id\"}";
    private static readonly string[] Fields = ["from", "to", "cmd", "data", "job_id", "priority", "queue", "concurrency_key", "concurrency_limit", "run_at", "delay"];

    public async Task<(JobCommand? Command, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (doc, problem) = await JsonBody.ReadAsync(request, apiOptions.Value.MaxBodyBytes, Shape, cancellationToken);
        if (doc is null)
        {
            return (null, problem);
        }

        using (doc)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var command = ReadCommand(doc.RootElement, errors, index: null);
            return errors.Count > 0 ? (null, Invalid(errors)) : (command, null);
        }
    }

    /// <summary>
    /// Reads a batch: a JSON array of commands, each exactly what <c>/sys_cmd</c> takes. The batch is all or nothing:
    /// one bad command (or two commands with the same from/job_id) refuses the whole batch with 400, errors keyed by
    /// the command's index (<c>[3].job_id</c>), so nothing reaches Redis unless every command is well formed.
    /// </summary>
    public async Task<(IReadOnlyList<JobCommand>? Commands, ProblemHttpResult? Problem)> ReadBatchAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var api = apiOptions.Value;
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // Kestrel's limit is MaxBodyBytes, the size of one command; a batch may be larger.
            limit.MaxRequestBodySize = api.MaxBatchBodyBytes;
        }

        var (doc, problem) = await JsonBody.ReadAsync(request, api.MaxBatchBodyBytes, $"of commands, each {Shape}", cancellationToken, JsonValueKind.Array, "ExeSys:Api:MaxBatchBodyBytes");
        if (doc is null)
        {
            return (null, problem);
        }

        using (doc)
        {
            var count = doc.RootElement.GetArrayLength();
            if (count == 0 || count > api.MaxBatchCommands)
            {
                return (null, JsonBody.BadRequest(
                    $"A batch holds 1 to {api.MaxBatchCommands} commands (ExeSys:Api:MaxBatchCommands); this one holds {count}."));
            }

            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var commands = new List<JobCommand>(count);
            var firstIndex = new Dictionary<JobRef, int>();
            var index = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    errors[$"[{index}]"] = [$"Command {index} must be a JSON object {Shape}, not a JSON {Describe(item.ValueKind)}."];
                }
                else if (System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(item).Length > api.MaxBodyBytes)
                {
                    errors[$"[{index}]"] = [$"Command {index} is larger than {api.MaxBodyBytes} bytes, the most one /sys_cmd body may hold (ExeSys:Api:MaxBodyBytes)."];
                }
                else if (ReadCommand(item, errors, index) is { } command)
                {
                    if (firstIndex.TryGetValue(command.Job, out var first))
                    {
                        errors[$"[{index}].job_id"] = [$"Command {index} repeats job '{command.Job.JobId}' from '{command.Job.From}' of command {first}: a batch names each job once."];
                    }
                    else
                    {
                        firstIndex[command.Job] = index;
                        commands.Add(command);
                    }
                }

                index++;
            }

            return errors.Count > 0 ? (null, Invalid(errors, "Invalid batch")) : (commands, null);
        }
    }

    /// <summary>
    /// One command object; its errors go into <paramref name="errors"/> by field name, or for command
    /// <paramref name="index"/> of a batch by <c>[index].field</c>, each message starting "Command index:".
    /// </summary>
    private JobCommand? ReadCommand(JsonElement root, Dictionary<string, string[]> errors, int? index)
    {
        var found = index is null ? errors : new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckFields(root, Fields, found);
        var maxLength = jobOptions.Value.MaxIdLength;
        var from = RequireId(root, "from", maxLength, found);
        var to = RequireId(root, "to", maxLength, found);
        var cmd = RequireId(root, "cmd", maxLength, found);
        var jobId = RequireId(root, "job_id", maxLength, found);
        var priority = ReadPriority(root, found);
        var data = ReadData(root, found);
        var (key, limit) = ReadConcurrencyKey(root, found);
        var queue = cmd is null ? null : ReadQueue(root, cmd, found);
        var runAt = ReadRunAt(root, found);
        if (!ReferenceEquals(found, errors))
        {
            foreach (var (field, messages) in found)
            {
                errors[$"[{index}].{field}"] = [.. messages.Select(m => $"Command {index}: {m}")];
            }
        }

        return found.Count > 0 ? null : new JobCommand(new JobRef(from!, jobId!), to!, cmd!, data!, priority, Queue: queue, ConcurrencyKey: key, ConcurrencyLimit: limit, RunAtMs: runAt);
    }

    /// <summary>
    /// A delayed job: <c>run_at</c> (ISO 8601 with an offset) or <c>delay</c> (<see cref="DelayText.DurationRule"/>),
    /// not both, at most <see cref="JobOptions.MaxDelay"/> ahead. Null when neither is given, or the time has already
    /// come (the job then starts at once, as any other).
    /// </summary>
    private long? ReadRunAt(JsonElement root, Dictionary<string, string[]> errors)
    {
        var hasRunAt = root.TryGetProperty("run_at", out var r) && r.ValueKind != JsonValueKind.Null;
        var hasDelay = root.TryGetProperty("delay", out var d) && d.ValueKind != JsonValueKind.Null;
        if (!hasRunAt && !hasDelay)
        {
            return null;
        }

        var max = jobOptions.Value.MaxDelay;
        var now = time.GetUtcNow();
        if (hasRunAt && hasDelay)
        {
            errors["delay"] = ["Give either 'run_at' or 'delay', not both."];
            return null;
        }

        DateTimeOffset at;
        var field = hasRunAt ? "run_at" : "delay";
        if (hasRunAt)
        {
            if (r.ValueKind != JsonValueKind.String || !DelayText.TryParseInstant(r.GetString(), out at))
            {
                errors[field] = [$"'run_at' must be {DelayText.InstantRule}."];
                return null;
            }
        }
        else
        {
            if (d.ValueKind != JsonValueKind.String || !DelayText.TryParseDuration(d.GetString(), out var delay))
            {
                errors[field] = [$"'delay' must be {DelayText.DurationRule}, not negative."];
                return null;
            }

            at = delay > max ? DateTimeOffset.MaxValue : now + delay;
        }

        if (at > now + max)
        {
            errors[field] = [$"'{field}' is more than {max} ahead, the most a job may be delayed (ExeSys:Jobs:MaxDelay)."];
            return null;
        }

        return at <= now ? null : at.ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// The optional <c>concurrency_key</c> (an id: at most <see cref="JobLanes.MaxKeyLength"/> characters of the id
    /// charset) and <c>concurrency_limit</c> (1..<see cref="JobLanes.MaxKeyLimit"/>, default 1, only with a key).
    /// </summary>
    internal static (string? Key, int Limit) ReadConcurrencyKey(JsonElement root, Dictionary<string, string[]> errors)
    {
        string? key = null;
        if (root.TryGetProperty("concurrency_key", out var k) && k.ValueKind != JsonValueKind.Null)
        {
            key = RequireId(root, "concurrency_key", JobLanes.MaxKeyLength, errors);
        }

        var limit = 1;
        if (root.TryGetProperty("concurrency_limit", out var l) && l.ValueKind != JsonValueKind.Null)
        {
            if (l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out limit) || limit < 1 || limit > JobLanes.MaxKeyLimit)
            {
                errors["concurrency_limit"] = [$"'concurrency_limit' must be a whole number from 1 to {JobLanes.MaxKeyLimit}: how many jobs with the same concurrency_key may run at once."];
            }
            else if (key is null && !errors.ContainsKey("concurrency_key"))
            {
                errors["concurrency_limit"] = ["'concurrency_limit' needs a 'concurrency_key': it is how many jobs with that key may run at once."];
            }
        }

        return (key, limit);
    }

    /// <summary>
    /// The optional <c>queue</c>: a configured queue (ExeSys:Queues) that the function's route allows; a function without
    /// a route may go to any configured queue. Null when absent or when it names the function's own routed queue.
    /// </summary>
    internal string? ReadQueue(JsonElement root, string cmd, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty("queue", out var q) || q.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var name = q.ValueKind == JsonValueKind.String ? q.GetString() : null;
        if (!QueueRouting.IsValidName(name))
        {
            errors["queue"] = [$"'queue' must be a queue name ({QueueRouting.NameRule})."];
            return null;
        }

        if (!routing.Allows(cmd, name!))
        {
            errors["queue"] = [$"Function '{cmd}' is routed to queue(s) {string.Join(", ", routing.RouteOf(cmd)!.Select(r => $"'{r}'"))} (ExeSys:Queues:Routes) and may not be submitted to '{name}'."];
            return null;
        }

        if (!routing.Configured.Contains(name!, StringComparer.Ordinal))
        {
            errors["queue"] = [$"Queue '{name}' is not configured: name it in ExeSys:Queues:Names or in a route. Known: {string.Join(", ", routing.Configured)}."];
            return null;
        }

        return name == routing.QueueOf(cmd) ? null : name;
    }

    /// <summary>Unknown and duplicated fields: a typo such as 'jobid' gets a clear error instead of being ignored.</summary>
    /// <summary>The optional <c>data</c> field as compact JSON (<c>null</c> when absent), or null with an error when it is not valid Unicode.</summary>
    internal static string? ReadData(JsonElement root, Dictionary<string, string[]> errors)
    {
        var data = root.TryGetProperty("data", out var d) ? WorkflowParser.TryCompact(d) : "null";
        if (data is null)
        {
            errors["data"] = ["'data' holds a string that is not valid Unicode (a lone surrogate such as \\ud800)."];
        }

        return data;
    }

    internal static void CheckFields(JsonElement root, string[] fields, Dictionary<string, string[]> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!fields.Contains(property.Name, StringComparer.Ordinal))
            {
                errors[property.Name] = [$"Unknown field '{property.Name}'. The fields are: {string.Join(", ", fields)}."];
            }
            else if (!seen.Add(property.Name))
            {
                errors[property.Name] = [$"The field '{property.Name}' appears more than once."];
            }
        }
    }

    internal static string? RequireId(JsonElement root, string field, int maxLength, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty(field, out var value))
        {
            errors[field] = [$"'{field}' is required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors[field] = [$"'{field}' must be a string, not a JSON {Describe(value.ValueKind)}."];
            return null;
        }

        var text = value.GetString()!;
        if (JobIdentifiers.Check(field, text, maxLength) is { } problem)
        {
            errors[field] = [problem];
            return null;
        }

        return text;
    }

    internal static JobPriority ReadPriority(JsonElement root, Dictionary<string, string[]> errors)
    {
        var priority = JobPriority.Normal;
        if (root.TryGetProperty("priority", out var p) && p.ValueKind != JsonValueKind.Null &&
            (p.ValueKind != JsonValueKind.String || !JobPriorityNames.TryParse(p.GetString(), out priority)))
        {
            errors["priority"] = ["'priority' must be \"high\", \"normal\" or \"low\"."];
        }

        return priority;
    }

    internal static ProblemHttpResult Invalid(Dictionary<string, string[]> errors, string title = "Invalid command") =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = title,
            Detail = string.Join(" ", errors.Values.SelectMany(e => e)),
        });

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
