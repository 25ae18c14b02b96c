using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using ExeSys.Api.Hosting;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.SysCmd;

/// <summary>
/// Reads and validates a <c>/sys_cmd</c> body by hand, so that every way a body can be wrong (size, media type,
/// syntax, shape, types, ids) gets its own precise 4xx ProblemDetails, and nothing reaches Redis unless all is well.
/// </summary>
public sealed class SysCmdRequestReader(IOptions<ApiOptions> apiOptions, IOptions<JobOptions> jobOptions)
{
    private static readonly string[] Fields = ["from", "to", "cmd", "data", "job_id", "priority"];
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    public async Task<(JobCommand? Command, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var media = request.ContentType;
        if (!string.IsNullOrEmpty(media) && !IsJson(media))
        {
            return (null, TypedResults.Problem(
                $"The body must be JSON sent as 'Content-Type: application/json'; got '{media}'. With curl, add -H \"Content-Type: application/json\".",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        var max = apiOptions.Value.MaxBodyBytes;
        if (request.ContentLength > max)
        {
            return (null, TooLarge(max));
        }

        ReadOnlySequence<byte> body;
        ReadResult read;
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(cancellationToken);
                if (read.Buffer.Length > max)
                {
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    return (null, TooLarge(max));
                }

                if (read.IsCompleted)
                {
                    break;
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(max));
        }

        body = read.Buffer;
        try
        {
            if (body.IsEmpty)
            {
                return (null, BadRequest("The request has no body. Send a JSON object {\"from\", \"to\", \"cmd\", \"data\", \"job_id\"}."));
            }

            using var doc = Parse(body, out var syntaxError);
            return doc is null ? (null, BadRequest(syntaxError!)) : Validate(doc.RootElement);
        }
        finally
        {
            reader.AdvanceTo(body.End);
        }
    }

    private static JsonDocument? Parse(ReadOnlySequence<byte> body, out string? error)
    {
        try
        {
            error = null;
            return JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return null;
        }
    }

    private (JobCommand?, ProblemHttpResult?) Validate(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, BadRequest($"The body must be a JSON object {{\"from\", \"to\", \"cmd\", \"data\", \"job_id\"}}, not a JSON {Describe(root.ValueKind)}."));
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!Fields.Contains(property.Name, StringComparer.Ordinal))
            {
                errors[property.Name] = [$"Unknown field '{property.Name}'. The fields are: {string.Join(", ", Fields)}."];
            }
            else if (!seen.Add(property.Name))
            {
                errors[property.Name] = [$"The field '{property.Name}' appears more than once."];
            }
        }

        var maxLength = jobOptions.Value.MaxIdLength;
        var from = RequireId(root, "from", maxLength, errors);
        var to = RequireId(root, "to", maxLength, errors);
        var cmd = RequireId(root, "cmd", maxLength, errors);
        var jobId = RequireId(root, "job_id", maxLength, errors);

        var priority = JobPriority.Normal;
        if (root.TryGetProperty("priority", out var p) && p.ValueKind != JsonValueKind.Null &&
            (p.ValueKind != JsonValueKind.String || !JobPriorityNames.TryParse(p.GetString(), out priority)))
        {
            errors["priority"] = ["'priority' must be \"high\", \"normal\" or \"low\"."];
        }

        if (errors.Count > 0)
        {
            return (null, TypedResults.Problem(new HttpValidationProblemDetails(errors)
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Invalid command",
                Detail = string.Join(" ", errors.Values.SelectMany(e => e)),
            }));
        }

        var data = root.TryGetProperty("data", out var d) ? Compact(d) : "null";
        return (new JobCommand(new JobRef(from!, jobId!), to!, cmd!, data, priority), null);
    }

    private static string? RequireId(JsonElement root, string field, int maxLength, Dictionary<string, string[]> errors)
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

    /// <summary>The compact form of <c>data</c>, so the same value sent with other whitespace is the same command.</summary>
    private static string Compact(JsonElement data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            data.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static bool IsJson(string media)
    {
        var type = media.Split(';', 2)[0].Trim();
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
               type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request body");

    private static ProblemHttpResult TooLarge(int max) =>
        TypedResults.Problem($"The body is larger than {max} bytes, the limit set by ExeSys:Api:MaxBodyBytes.",
            statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large");
}
