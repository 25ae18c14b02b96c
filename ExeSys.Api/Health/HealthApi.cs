using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Core.History;
using ExeSys.Core.Registry;
using ExeSys.Core.Resilience;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ExeSys.Api.Health;

/// <param name="Status">healthy, or unhealthy when Redis cannot be reached or cannot take jobs safely (see Memory).</param>
/// <param name="Redis">ok, or the reason Redis is not usable.</param>
/// <param name="RedisLatencyMs">The round trip of a PING.</param>
/// <param name="Workers">Live workers (heart-beating).</param>
/// <param name="Controllers">Live controllers.</param>
/// <param name="Mongo">off (history not configured), ok, or "degraded: reason" when MongoDB cannot be reached. A MongoDB
/// outage does not make ExeSys unready: jobs keep flowing and wait on the archive backlog.</param>
/// <param name="ArchiveBacklog">Ended jobs waiting in Redis to be archived into MongoDB.</param>
/// <param name="Memory">Redis's memory (INFO memory), when Redis told it.</param>
public sealed record ReadinessReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("redis")] string Redis,
    [property: JsonPropertyName("redis_latency_ms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RedisLatencyMs,
    [property: JsonPropertyName("workers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Workers,
    [property: JsonPropertyName("controllers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Controllers,
    [property: JsonPropertyName("mongo"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Mongo = null,
    [property: JsonPropertyName("archive_backlog"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ArchiveBacklog = null,
    [property: JsonPropertyName("memory"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MemoryReport? Memory = null);

/// <param name="Status">ok, or pressure (nearly full, or keys may be evicted): then the API is not ready.</param>
/// <param name="UsedBytes">Redis's used_memory (of the fullest primary on a cluster).</param>
/// <param name="MaxBytes">Its maxmemory; 0 = no limit.</param>
/// <param name="UsedPercent">Used as a percentage of maxmemory, when there is a limit.</param>
/// <param name="Policy">Its maxmemory-policy; ExeSys needs noeviction.</param>
/// <param name="Problem">Why memory makes the API unready, and what to do.</param>
public sealed record MemoryReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("used_bytes")] long UsedBytes,
    [property: JsonPropertyName("max_bytes")] long MaxBytes,
    [property: JsonPropertyName("used_percent"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? UsedPercent,
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("problem"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Problem)
{
    internal static MemoryReport? Of(StoreMemoryReport? memory) => memory is null ? null : new(
        memory.Problem is null ? "ok" : "pressure",
        memory.UsedBytes,
        memory.MaxBytes,
        memory.MaxBytes > 0 ? Math.Round(100.0 * memory.UsedBytes / memory.MaxBytes, 1) : null,
        memory.Policy,
        memory.Problem);
}

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Anonymous: load balancers ask without a key. /ready shows its details to admin keys only (ReadyAsync).
        var health = app.MapGroup("/health").WithTags("Health").AllowAnonymous();
        health.MapGet("/live", () => TypedResults.Ok(new ReadinessReport("healthy", "not checked", null, null, null)))
            .WithSummary("Is the API process up? (does not touch Redis)");
        health.MapGet("/ready", ReadyAsync)
            .WithSummary("Can the API serve jobs? Checks Redis (503 when it is away, nearly full or evicting keys) and reports its memory, live workers and controllers, and MongoDB history (degraded is still 200)")
            .Produces<ReadinessReport>(StatusCodes.Status200OK)
            .Produces<ReadinessReport>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>
    /// Anyone may ask; the details (Redis and MongoDB errors with their hosts and ports, memory, counts) are for
    /// admin keys, and in open mode, only. Others get the status alone, with the same HTTP status.
    /// </summary>
    private static async Task<IResult> ReadyAsync(HttpContext http, IStoreHealth store, IProcessRegistry registry, IJobHistory history, IArchiveSource backlog)
    {
        var result = await ReadyDetailsAsync(store, registry, history, backlog);
        if (Caller.Of(http.User).SeesInternals || result is not IValueHttpResult { Value: ReadinessReport report } || result is not IStatusCodeHttpResult status)
        {
            return result;
        }

        return TypedResults.Json(new ReadinessReport(report.Status, report.Redis == "ok" ? "ok" : "unavailable", null, null, null), statusCode: status.StatusCode ?? StatusCodes.Status200OK);
    }

    private static async Task<IResult> ReadyDetailsAsync(IStoreHealth store, IProcessRegistry registry, IJobHistory history, IArchiveSource backlog)
    {
        var check = await store.CheckAsync();
        if (!check.Reachable)
        {
            return Unhealthy(check.Detail);
        }

        try
        {
            var latency = check.LatencyMs ?? 0;
            var workers = await registry.GetLiveAsync(ProcessRole.Worker);
            var controllers = await registry.GetLiveAsync(ProcessRole.Controller);
            string mongo = "off";
            long? waiting = null;
            if (history.Enabled)
            {
                mongo = await history.CheckAsync(TimeSpan.FromSeconds(1)) is { } problem ? $"degraded: {problem}" : "ok";
                waiting = await backlog.CountAsync();
            }

            var memory = MemoryReport.Of(check.Memory);
            var report = new ReadinessReport("healthy", "ok", Math.Round(latency, 3), workers.Count, controllers.Count, mongo, waiting, memory);
            // A full Redis refuses every submit with 503, and an evicting one may drop accepted jobs: not ready, and the
            // memory part of the body says why.
            return memory?.Problem is { } pressure
                ? TypedResults.Json(report with { Status = "unhealthy", Redis = $"memory: {pressure}" }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : TypedResults.Ok(report);
        }
        catch (Exception ex) when (RedisFaults.IsRedisFailure(ex))
        {
            return Unhealthy(ex.Message);
        }
    }

    private static JsonHttpResult<ReadinessReport> Unhealthy(string why) =>
        TypedResults.Json(new ReadinessReport("unhealthy", why, null, null, null), statusCode: StatusCodes.Status503ServiceUnavailable);
}
