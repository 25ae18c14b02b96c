using System.Text.Json;
using ExeSys.Api.Hosting;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Core.Workflows;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.SysCmd;

/// <summary>
/// Reads and validates a <c>/sys_cmd</c> body, so that every way a body can be wrong (size, media type, syntax,
/// shape, types, ids) gets its own precise 4xx ProblemDetails, and nothing reaches Redis unless all is well.
/// </summary>
public sealed class SysCmdRequestReader(IOptions<ApiOptions> apiOptions, IOptions<JobOptions> jobOptions)
{
    private const string Shape = "{\"from\", \"to\", \"cmd\", \"data\", \"job_id\"}";
    private static readonly string[] Fields = ["from", "to", "cmd", "data", "job_id", "priority"];

    public async Task<(JobCommand? Command, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (doc, problem) = await JsonBody.ReadAsync(request, apiOptions.Value.MaxBodyBytes, Shape, cancellationToken);
        if (doc is null)
        {
            return (null, problem);
        }

        using (doc)
        {
            var root = doc.RootElement;
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            CheckFields(root, Fields, errors);
            var maxLength = jobOptions.Value.MaxIdLength;
            var from = RequireId(root, "from", maxLength, errors);
            var to = RequireId(root, "to", maxLength, errors);
            var cmd = RequireId(root, "cmd", maxLength, errors);
            var jobId = RequireId(root, "job_id", maxLength, errors);
            var priority = ReadPriority(root, errors);
            var data = ReadData(root, errors);

            if (errors.Count > 0)
            {
                return (null, Invalid(errors));
            }

            return (new JobCommand(new JobRef(from!, jobId!), to!, cmd!, data!, priority), null);
        }
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

    internal static ProblemHttpResult Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid command",
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
