using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExeSys.Tests.Infrastructure;

/// <summary>What a client of /sys_cmd sends and reads: commands as JSON text and replies as parsed JSON.</summary>
public static class SysCmdHttp
{
    public static string Command(string from, string jobId, string cmd, string dataJson = "null", string to = "end_job", string? priority = null)
    {
        var command = new JsonObject
        {
            ["from"] = from,
            ["to"] = to,
            ["cmd"] = cmd,
            ["data"] = JsonNode.Parse(dataJson),
            ["job_id"] = jobId,
        };
        if (priority is not null)
        {
            command["priority"] = priority;
        }

        return command.ToJsonString();
    }

    /// <summary><see cref="Command"/> with a <c>delay</c> (e.g. <c>1h</c>): the job waits in standby until then.</summary>
    public static string Delayed(string from, string jobId, string cmd, string dataJson, string delay)
    {
        var command = JsonNode.Parse(Command(from, jobId, cmd, dataJson))!.AsObject();
        command["delay"] = delay;
        return command.ToJsonString();
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>No body, but the Content-Type every POST must carry (stop, pause, resume, cancel).</summary>
    public static ByteArrayContent EmptyJson() => new([]) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") } };

    public static async Task<Reply> PostAsync(HttpClient client, string json, string? query = null, Action<HttpRequestMessage>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/sys_cmd" + query, UriKind.Relative)) { Content = Json(json) };
        configure?.Invoke(request);
        using var response = await client.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    public static async Task<Reply> GetAsync(HttpClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return await Reply.ReadAsync(response);
    }
}

/// <summary>An HTTP reply: status, media type, Location, Retry-After and the body as JSON (Undefined when not JSON).</summary>
public sealed record Reply(HttpStatusCode Status, string? MediaType, Uri? Location, string? RetryAfter, string Text, JsonElement Body)
{
    public static async Task<Reply> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        try
        {
            using var doc = JsonDocument.Parse(text);
            body = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
        }

        return new Reply(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.Location,
            response.Headers.RetryAfter?.ToString(),
            text,
            body);
    }

    public int Code => (int)Status;

    /// <summary>The job's state code, or -1 when the reply is not a job (a ProblemDetails, say), so assertions show the reply instead of throwing.</summary>
    public int State => Has("state") ? Body.GetProperty("state").GetInt32() : -1;

    public string? Resp => Field("resp");

    /// <summary>The job's attempts, or -1 when the reply is not a job.</summary>
    public int Attempts => Has("attempts") ? Body.GetProperty("attempts").GetInt32() : -1;

    public bool Has(string property) => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out _);

    public string? Field(string property) => Has(property) ? Body.GetProperty(property).GetString() : null;

    public JsonElement Get(string property) => Body.GetProperty(property);

    public override string ToString() => $"{Code} {MediaType} {Text}";
}
