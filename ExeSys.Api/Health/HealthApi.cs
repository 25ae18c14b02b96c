using System.Diagnostics;
using System.Text.Json.Serialization;
using ExeSys.Core.Registry;
using StackExchange.Redis;

namespace ExeSys.Api.Health;

/// <param name="Status">healthy, or unhealthy when Redis cannot be reached.</param>
/// <param name="Redis">ok, or the reason Redis is not usable.</param>
/// <param name="RedisLatencyMs">The round trip of a PING.</param>
/// <param name="Workers">Live workers (heart-beating).</param>
/// <param name="Controllers">Live controllers.</param>
public sealed record ReadinessReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("redis")] string Redis,
    [property: JsonPropertyName("redis_latency_ms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RedisLatencyMs,
    [property: JsonPropertyName("workers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Workers,
    [property: JsonPropertyName("controllers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Controllers);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new ReadinessReport("healthy", "not checked", null, null, null)))
            .WithSummary("Is the API process up? (does not touch Redis)");
        health.MapGet("/ready", ReadyAsync)
            .WithSummary("Can the API serve jobs? Checks Redis and reports live workers and controllers")
            .Produces<ReadinessReport>(StatusCodes.Status200OK)
            .Produces<ReadinessReport>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> ReadyAsync(IConnectionMultiplexer redis, ProcessRegistry registry)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            await redis.GetDatabase().PingAsync();
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var workers = await registry.GetLiveAsync(ProcessRole.Worker);
            var controllers = await registry.GetLiveAsync(ProcessRole.Controller);
            return TypedResults.Ok(new ReadinessReport("healthy", "ok", Math.Round(latency, 3), workers.Count, controllers.Count));
        }
        catch (RedisException ex)
        {
            return TypedResults.Json(new ReadinessReport("unhealthy", ex.Message, null, null, null), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
