using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Jobs;
using ExeSys.Core.Stats;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Stats;

/// <summary>One function's attempts in one window.</summary>
/// <param name="Counts">Attempts by outcome: ok, failed (threw, timed out or cancelled; a retry may follow), deferred,
/// lost (the worker lost the lease), cut_off (the worker shut down); outcomes with none are left out.</param>
/// <param name="Total">All attempts.</param>
/// <param name="P50Ms">The median run time of the attempts, in ms, within the histogram's 19% buckets (null when none).</param>
public sealed record WindowStats(
    [property: JsonPropertyName("counts")] IReadOnlyDictionary<string, long> Counts,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("p50_ms")] double? P50Ms,
    [property: JsonPropertyName("p95_ms")] double? P95Ms,
    [property: JsonPropertyName("p99_ms")] double? P99Ms);

/// <summary>One function's statistics over the last minute, hour and day.</summary>
public sealed record FunctionStats(
    [property: JsonPropertyName("minute")] WindowStats Minute,
    [property: JsonPropertyName("hour")] WindowStats Hour,
    [property: JsonPropertyName("day")] WindowStats Day);

/// <summary><c>GET /stats</c>: per function (those with attempts in the last day), by name.</summary>
/// <param name="FlushIntervalMs">How stale the numbers may be: each worker adds its counts this often (ExeSys:Stats:FlushInterval).</param>
public sealed record StatsReply(
    [property: JsonPropertyName("functions")] IReadOnlyDictionary<string, FunctionStats> Functions,
    [property: JsonPropertyName("flush_interval_ms")] long FlushIntervalMs);

/// <summary>
/// <c>GET /stats</c>: what EDA's statistics service shows, for curl users. Per function: attempts by outcome and p50, p95
/// and p99 run time over the last minute, hour and day, merged from every worker's counts in Redis (one read of at most
/// 86 hashes). Functions are shared by every tenant and the counts are not kept per tenant, so the statistics are the
/// operator's, as queues and schedules are.
/// </summary>
public static class StatsApi
{
    private const string FunctionParameter = "function";

    public static IEndpointRouteBuilder MapStats(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/stats").WithTags("Stats").RequireAuthorization(Scopes.Admin)
            .AddEndpointFilter(async (context, next) => Caller.Of(context.HttpContext.User).IsOperator ? await next(context) : OperatorOnly())
            .MapGet("", GetAsync)
            .WithName("GetStats")
            .WithSummary("Per function: attempts by outcome and p50/p95/p99 run time over the last minute, hour and day (?function=<name> for one)")
            .WithDescription("""
                Counted by every worker in memory and added to Redis once per ExeSys:Stats:FlushInterval (default 10 s), so the
                numbers lag by up to that much. Windows are whole buckets of Redis's clock: 'minute' is the current and the previous
                minute, 'hour' the current minute and the 60 before, 'day' the current hour and the 24 before. Percentiles are the
                middle of a log-scale bucket 19% wide. An admin key of the default tenant (the operator) reads them.
                """)
            .Produces<StatsReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    private static async Task<Results<Ok<StatsReply>, ProblemHttpResult>> GetAsync(HttpContext http, IRunStatsStore store, IOptions<StatsOptions> options)
    {
        string? only = null;
        foreach (var (name, values) in http.Request.Query)
        {
            if (name != FunctionParameter)
            {
                return Invalid(name, $"'{name}' is not a parameter of GET /stats; the only one is '{FunctionParameter}' (a function name).");
            }

            only = values.ToString();
            if (JobIdentifiers.Check(FunctionParameter, only, 256) is { } problem)
            {
                return Invalid(FunctionParameter, problem);
            }
        }

        var windows = await store.ReadAsync();
        var minute = Split(windows.Minute);
        var hour = Split(windows.Hour);
        var day = Split(windows.Day);
        var functions = new SortedDictionary<string, FunctionStats>(StringComparer.Ordinal);
        foreach (var function in day.Keys.Concat(hour.Keys).Distinct(StringComparer.Ordinal).Where(f => only is null || f == only))
        {
            functions[function] = new FunctionStats(Window(minute, function), Window(hour, function), Window(day, function));
        }

        return TypedResults.Ok(new StatsReply(functions, (long)options.Value.FlushInterval.TotalMilliseconds));
    }

    /// <summary>A window's merged fields, per function: counts by outcome and the run-time histogram.</summary>
    private static Dictionary<string, (Dictionary<string, long> Counts, long[] Buckets)> Split(IReadOnlyDictionary<string, long> fields)
    {
        var byFunction = new Dictionary<string, (Dictionary<string, long> Counts, long[] Buckets)>(StringComparer.Ordinal);
        foreach (var (field, n) in fields)
        {
            if (StatsField.Parse(field) is not { } parsed)
            {
                continue;
            }

            if (!byFunction.TryGetValue(parsed.Function, out var f))
            {
                byFunction[parsed.Function] = f = (new Dictionary<string, long>(StringComparer.Ordinal), new long[RunTimeHistogram.Buckets]);
            }

            if (parsed.Bucket is { } b)
            {
                f.Buckets[b] += n;
            }
            else
            {
                f.Counts[parsed.Outcome!] = n;
            }
        }

        return byFunction;
    }

    private static WindowStats Window(Dictionary<string, (Dictionary<string, long> Counts, long[] Buckets)> window, string function)
    {
        if (!window.TryGetValue(function, out var f))
        {
            return new WindowStats(new Dictionary<string, long>(), 0, null, null, null);
        }

        return new WindowStats(f.Counts, f.Counts.Values.Sum(),
            RunTimeHistogram.Percentile(f.Buckets, 0.50), RunTimeHistogram.Percentile(f.Buckets, 0.95), RunTimeHistogram.Percentile(f.Buckets, 0.99));
    }

    private static ProblemHttpResult Invalid(string field, string problem) =>
        SysCmdRequestReader.Invalid(new(StringComparer.Ordinal) { [field] = [problem] }, "Invalid query");

    private static ProblemHttpResult OperatorOnly() =>
        JobResults.Problem(StatusCodes.Status403Forbidden, "Statistics are the operator's",
            "GET /stats counts every tenant's jobs together (functions are shared), so only an admin key of the default tenant reads it.");
}
