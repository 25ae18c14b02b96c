using System.Globalization;
using System.Text.Json.Serialization;
using ExeSys.Api.Functions;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.History;
using ExeSys.Core.Registry;
using ExeSys.Core.Stats;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.WebConsole;

/// <summary>One minute of the overview's chart.</summary>
/// <param name="Start">The minute's start (Redis's clock).</param>
/// <param name="Seconds">How much of the minute has passed: 60, less for the current one (a rate is count / seconds).</param>
/// <param name="Submitted">New jobs and runs the API processes accepted (of the key's tenant, unless it sees the fleet).</param>
/// <param name="Finished">Attempts that returned a result, fleet-wide; null for a key that does not see the fleet.</param>
/// <param name="Failed">Attempts that threw, timed out or were cancelled (a retry may follow), fleet-wide; null likewise.</param>
public sealed record OverviewMinute(
    [property: JsonPropertyName("start")] DateTimeOffset Start,
    [property: JsonPropertyName("seconds")] int Seconds,
    [property: JsonPropertyName("submitted")] long Submitted,
    [property: JsonPropertyName("finished")] long? Finished,
    [property: JsonPropertyName("failed")] long? Failed);

/// <summary>A queue's depths, as the overview shows them.</summary>
public sealed record QueueDepths(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("depth")] long Depth,
    [property: JsonPropertyName("in_flight")] long InFlight,
    [property: JsonPropertyName("scheduled")] long Scheduled,
    [property: JsonPropertyName("oldest_waiting_ms")] long? OldestWaitingMs,
    [property: JsonPropertyName("paused")] bool Paused);

/// <summary>Failed attempts over the last hour: in all, and per function.</summary>
public sealed record OverviewFailures(
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("functions")] IReadOnlyDictionary<string, long> Functions);

/// <summary><c>GET /console/api/overview</c>: the console's live summary, read in one request.</summary>
/// <param name="Fleet">True when the key sees the whole fleet (an admin key of the default tenant): then the finished
/// and failed counts, the failures, the worker and controller counts and the archive backlog are filled in. Other keys
/// get their own tenant's submits, the queue depths and their own runners, and null for the rest (the statistics are
/// not kept per tenant, and name every tenant's functions).</param>
/// <param name="FlushIntervalMs">How far the per-minute counts may lag: each process adds its counts this often.</param>
/// <param name="Minutes">The last minutes, oldest first; the last is the current, partial minute.</param>
/// <param name="ArchiveBacklog">Ended jobs waiting to be archived into MongoDB; null when history is off (or not shown).</param>
public sealed record OverviewReply(
    [property: JsonPropertyName("now")] DateTimeOffset Now,
    [property: JsonPropertyName("fleet")] bool Fleet,
    [property: JsonPropertyName("flush_interval_ms")] long FlushIntervalMs,
    [property: JsonPropertyName("minutes")] IReadOnlyList<OverviewMinute> Minutes,
    [property: JsonPropertyName("failures_last_hour")] OverviewFailures? FailuresLastHour,
    [property: JsonPropertyName("queues")] IReadOnlyList<QueueDepths> Queues,
    [property: JsonPropertyName("workers")] int? Workers,
    [property: JsonPropertyName("controllers")] int? Controllers,
    [property: JsonPropertyName("runners")] IReadOnlyList<RunnerInfo> Runners,
    [property: JsonPropertyName("history")] bool History,
    [property: JsonPropertyName("archive_backlog")] long? ArchiveBacklog);

/// <summary>A live worker or controller as the console's fleet page lists it (id and host: admin keys of the default tenant only).</summary>
public sealed record ConsoleProcess(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("started")] DateTimeOffset Started,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("functions")] int Functions,
    [property: JsonPropertyName("queues")] IReadOnlyList<string> Queues,
    [property: JsonPropertyName("runners")] int Runners);

/// <summary>
/// The console's overview in one read, so a page polling it once a second costs one request: the per-minute counts of
/// submitted, finished and failed jobs (the statistics' minute hashes, one script call), queue depths, live workers,
/// controllers and runners (the process registry), the last hour's failures and the archive backlog.
/// </summary>
public static class ConsoleOverviewApi
{
    private const string MinutesParameter = "minutes";
    private const int DefaultMinutes = 30;

    /// <summary>The chart's longest span; the hour's failures read the same 61 minute hashes anyway.</summary>
    private const int MaxMinutes = 60;

    private const int HourMinutes = 61;

    public static IEndpointRouteBuilder MapConsoleOverview(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/console/api").WithTags("Console").RequireAuthorization(Scopes.Read)
            .MapGet("/overview", GetAsync)
            .WithName("ConsoleOverview")
            .WithSummary("The console's live summary: submitted, finished and failed per minute, queue depths, live workers, controllers and runners, the last hour's failures, the archive backlog")
            .WithDescription("""
                ?minutes=N (1..60, default 30): how many minutes the series covers. Counts lag by up to flush_interval_ms (each
                API process and worker adds its counts that often). Finished and failed count attempts (a failed attempt may be
                retried). The statistics are fleet-wide, so an admin key of the default tenant sees them; another key sees its own
                tenant's submits, the queue depths and its own runners, with null for the fleet's figures.
                """)
            .Produces<OverviewReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapGroup("/console/api").WithTags("Console").RequireAuthorization(Scopes.Read)
            .MapGet("/processes", ListProcessesAsync)
            .WithName("ConsoleProcesses")
            .WithSummary("The live workers and controllers of the process registry: role, start, concurrency, running jobs, queues (id and host: admin keys of the default tenant only; runners counted of the key's tenant)")
            .Produces<IReadOnlyList<ConsoleProcess>>();
        return app;
    }

    private static async Task<Results<Ok<OverviewReply>, ProblemHttpResult>> GetAsync(
        HttpContext http, Caller caller, IRunStatsStore stats, IQueueAdmin queues, IProcessRegistry registry,
        IJobHistory history, IArchiveSource backlog, IOptions<StatsOptions> statsOptions)
    {
        var minutes = DefaultMinutes;
        foreach (var (name, values) in http.Request.Query)
        {
            if (name != MinutesParameter)
            {
                return Invalid(name, $"'{name}' is not a parameter of GET /console/api/overview; the only one is '{MinutesParameter}'.");
            }

            if (!int.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out minutes) || minutes is < 1 or > MaxMinutes)
            {
                return Invalid(MinutesParameter, $"'{MinutesParameter}' must be a whole number from 1 to {MaxMinutes}; got '{values}'.");
            }
        }

        var fleet = caller.SeesInternals;
        var hour = await stats.ReadMinutesAsync(HourMinutes);
        var workers = await registry.GetLiveAsync(ProcessRole.Worker);
        int? controllers = fleet ? (await registry.GetLiveAsync(ProcessRole.Controller)).Count : null;
        long? waiting = fleet && history.Enabled ? await backlog.CountAsync() : null;
        var nowMs = hour[^1].NowMs;

        return TypedResults.Ok(new OverviewReply(
            DateTimeOffset.FromUnixTimeMilliseconds(nowMs),
            fleet,
            (long)statsOptions.Value.FlushInterval.TotalMilliseconds,
            [.. hour.Skip(HourMinutes - minutes).Select(m => Minute(m, caller, fleet))],
            fleet ? Failures(hour) : null,
            [.. (await queues.ListAsync()).Select(q => new QueueDepths(q.Name, q.Ready, q.Inflight, q.Scheduled, q.OldestWaitingMs, q.Paused))],
            fleet ? workers.Count : null,
            controllers,
            FunctionsApi.RunnersOf(workers, caller),
            history.Enabled,
            waiting));
    }

    private static async Task<Ok<IReadOnlyList<ConsoleProcess>>> ListProcessesAsync(Caller caller, IProcessRegistry registry)
    {
        var workers = await registry.GetLiveAsync(ProcessRole.Worker);
        var controllers = await registry.GetLiveAsync(ProcessRole.Controller);
        var internals = caller.SeesInternals;
        return TypedResults.Ok<IReadOnlyList<ConsoleProcess>>([.. workers.Concat(controllers).Select(p => new ConsoleProcess(
            internals ? p.Id : "", p.Role, internals ? p.Host : "", p.Started, p.Concurrency, p.Running, p.Functions.Count, p.Queues ?? [],
            FunctionsApi.RunnersOf([p], caller).Count))]);
    }

    private static OverviewMinute Minute(StatsMinute m, Caller caller, bool fleet)
    {
        long submitted = 0, finished = 0, failed = 0;
        foreach (var (field, n) in m.Fields)
        {
            if (StatsField.TenantOfSubmitted(field) is { } tenant)
            {
                submitted += fleet || tenant == caller.Tenant ? n : 0;
            }
            else if (StatsField.Parse(field) is { Outcome: { } outcome })
            {
                finished += outcome == RunOutcome.Ok ? n : 0;
                failed += outcome == RunOutcome.Failed ? n : 0;
            }
        }

        var startMs = m.Minute * 60_000;
        var seconds = (int)Math.Clamp((m.NowMs - startMs + 999) / 1000, 1, 60);
        return new OverviewMinute(DateTimeOffset.FromUnixTimeMilliseconds(startMs), seconds, submitted, fleet ? finished : null, fleet ? failed : null);
    }

    private static OverviewFailures Failures(IReadOnlyList<StatsMinute> hour)
    {
        var byFunction = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (field, n) in hour.SelectMany(m => m.Fields))
        {
            if (StatsField.Parse(field) is { Outcome: RunOutcome.Failed } parsed)
            {
                byFunction[parsed.Function] = byFunction.GetValueOrDefault(parsed.Function) + n;
            }
        }

        return new OverviewFailures(byFunction.Values.Sum(), byFunction);
    }

    private static ProblemHttpResult Invalid(string field, string problem) =>
        SysCmdRequestReader.Invalid(new(StringComparer.Ordinal) { [field] = [problem] }, "Invalid query");
}
