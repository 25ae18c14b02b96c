using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExeSys.Tests.Infrastructure.Modules;

/// <summary>A row of <c>GET /functions</c>.</summary>
public sealed record FunctionRow(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("module")] string Module,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("workers")] IReadOnlyList<string> Workers)
{
    public override string ToString() => $"{Name} ({Module} {Version} on {string.Join("+", Workers)})";
}

/// <summary>A row of <c>GET /modules</c>.</summary>
public sealed record ModuleRow(
    [property: JsonPropertyName("worker")] string Worker,
    [property: JsonPropertyName("module")] string Module,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("functions")] IReadOnlyList<string> Functions)
{
    public override string ToString() => $"{Worker}/{Module} {Version} {Status} [{string.Join(", ", Functions)}]{(Error is null ? "" : $" error: {Error}")}";
}

/// <summary>A row of <c>GET /runners</c>.</summary>
public sealed record RunnerRow(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("worker")] string Worker)
{
    public override string ToString() => $"{From}/{JobId} on {Worker}";
}

/// <summary>The calls these tests make on the API, by HTTP, as a client would.</summary>
public static class ApiCalls
{
    public static Task<Reply> SubmitAsync(this HttpClient client, string from, string jobId, string cmd, string dataJson = "null", string? wait = null) =>
        SysCmdHttp.PostAsync(client, SysCmdHttp.Command(from, jobId, cmd, dataJson), wait is null ? null : $"?wait={wait}");

    public static Task<Reply> JobAsync(this HttpClient client, string from, string jobId, string? wait = null) =>
        SysCmdHttp.GetAsync(client, $"/jobs/{from}/{jobId}{(wait is null ? "" : $"?wait={wait}")}");

    /// <summary><c>POST /jobs/{from}/{job_id}/stop</c>.</summary>
    public static async Task<Reply> StopAsync(this HttpClient client, string from, string jobId)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.PostAsync(new Uri($"/jobs/{from}/{jobId}/stop", UriKind.Relative), SysCmdHttp.EmptyJson());
        return await Reply.ReadAsync(response);
    }

    public static Task<IReadOnlyList<FunctionRow>> FunctionsAsync(this HttpClient client) => ListAsync<FunctionRow>(client, "/functions");

    public static Task<IReadOnlyList<ModuleRow>> ModulesAsync(this HttpClient client) => ListAsync<ModuleRow>(client, "/modules");

    public static Task<IReadOnlyList<RunnerRow>> RunnersAsync(this HttpClient client) => ListAsync<RunnerRow>(client, "/runners");

    public static Task<Reply> WaitForJobAsync(this HttpClient client, string from, string jobId, Func<Reply, bool> isDone, TimeSpan timeout, string what) =>
        Eventually.WaitForAsync(() => client.JobAsync(from, jobId), isDone, timeout, what);

    /// <summary>The job's latest intermediate result's <c>ticks</c> (the ticker runner's), or -1 when it has none.</summary>
    public static int Ticks(this Reply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply.Has("progress") && reply.Get("progress").ValueKind == JsonValueKind.Object && reply.Get("progress").TryGetProperty("ticks", out var ticks)
            ? ticks.GetInt32()
            : -1;
    }

    private static async Task<IReadOnlyList<T>> ListAsync<T>(HttpClient client, string path)
    {
        var reply = await SysCmdHttp.GetAsync(client, path);
        if (reply.Code != 200 || reply.Body.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"GET {path} answered {reply}");
        }

        return reply.Body.Deserialize<List<T>>() ?? [];
    }
}
