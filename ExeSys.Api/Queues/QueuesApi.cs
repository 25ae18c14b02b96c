using System.Text.Json.Serialization;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Queues;
using ExeSys.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ExeSys.Api.Queues;

/// <summary>One queue as <c>GET /queues</c> shows it.</summary>
/// <param name="Depth">Jobs waiting to start, over every function.</param>
/// <param name="InFlight">Jobs leased to a worker: running, or started and not yet acked.</param>
/// <param name="Scheduled">Jobs waiting for a retry or a deferral (wait_event looks among them).</param>
/// <param name="OldestWaitingMs">How long the oldest waiting job has waited (by its queue score: a high-priority job counts ExeSys:Jobs:PriorityAging older); null when none waits.</param>
/// <param name="Functions">Waiting jobs per function (each function has its own lane).</param>
/// <param name="Workers">The live workers that serve the queue.</param>
/// <param name="Limits">The capacity limits its claims enforce (empty: none), as published in Redis (ExeSys:Limits): the
/// queue's own under <c>queue</c>, each function's under <c>function:&lt;name&gt;</c>; each with <c>max_concurrency</c>,
/// <c>rate_per_period</c> and <c>rate_period_ms</c> where set.</param>
public sealed record QueueReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("depth")] long Depth,
    [property: JsonPropertyName("in_flight")] long InFlight,
    [property: JsonPropertyName("scheduled")] long Scheduled,
    [property: JsonPropertyName("oldest_waiting_ms")] long? OldestWaitingMs,
    [property: JsonPropertyName("paused")] bool Paused,
    [property: JsonPropertyName("functions")] IReadOnlyDictionary<string, long> Functions,
    [property: JsonPropertyName("workers")] IReadOnlyList<string> Workers,
    [property: JsonPropertyName("limits")] IReadOnlyDictionary<string, object> Limits)
{
    internal static QueueReply From(QueueState q) =>
        new(q.Name, q.Ready, q.Inflight, q.Scheduled, q.OldestWaitingMs, q.Paused, q.Functions, q.Workers, LimitsOf(q));

    private static Dictionary<string, object> LimitsOf(QueueState q)
    {
        var limits = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (scope, (max, rate, periodMs)) in q.Limits ?? new Dictionary<string, (int, int, long)>())
        {
            var shown = new Dictionary<string, long>(StringComparer.Ordinal);
            if (max > 0)
            {
                shown["max_concurrency"] = max;
            }

            if (rate > 0)
            {
                shown["rate_per_period"] = rate;
                shown["rate_period_ms"] = periodMs;
            }

            limits[scope.StartsWith("q:", StringComparison.Ordinal) ? "queue" : "function:" + scope[2..]] = shown;
        }

        return limits;
    }
}

/// <summary>What a pause or resume did.</summary>
/// <param name="Changed">False when the queue already was in that state.</param>
public sealed record QueueControlReply(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("paused")] bool Paused,
    [property: JsonPropertyName("changed")] bool Changed);

/// <summary>
/// <c>GET /queues</c>, <c>GET /queues/{name}</c>, and pausing and resuming a queue: nothing new starts from a paused
/// queue (claims, handoffs and direct starts all check it atomically in Redis); running jobs finish.
/// </summary>
public static class QueuesApi
{
    public static IEndpointRouteBuilder MapQueues(this IEndpointRouteBuilder app)
    {
        var queues = app.MapGroup("/queues").WithTags("Queues").RequireAuthorization(Scopes.Read);
        var control = app.MapGroup("/queues").WithTags("Queues").RequireAuthorization(Scopes.Admin);
        queues.MapGet("", ListAsync)
            .WithName("ListQueues")
            .WithSummary("Every queue: depth, in-flight, scheduled, oldest wait, workers, paused, limits")
            .WithDescription("The configured queues (ExeSys:Queues), those live workers serve, and those workers have served before.");
        queues.MapGet("/{name}", GetAsync)
            .WithName("GetQueue")
            .WithSummary("One queue");
        control.MapPost("/{name}/pause", PauseAsync)
            .WithName("PauseQueue")
            .WithSummary("Pause a queue: nothing new starts from it; running jobs finish. Idempotent.");
        control.MapPost("/{name}/resume", ResumeAsync)
            .WithName("ResumeQueue")
            .WithSummary("Resume a paused queue: its waiting jobs start again. Idempotent.");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<QueueReply>>> ListAsync(IQueueAdmin admin) =>
        TypedResults.Ok<IReadOnlyList<QueueReply>>([.. (await admin.ListAsync()).Select(QueueReply.From)]);

    private static async Task<Results<Ok<QueueReply>, ProblemHttpResult>> GetAsync(string name, IQueueAdmin admin) =>
        QueueRouting.IsValidName(name) && await admin.GetAsync(name) is { } q ? TypedResults.Ok(QueueReply.From(q)) : NoSuchQueue(name);

    private static Task<Results<Ok<QueueControlReply>, ProblemHttpResult>> PauseAsync(string name, IQueueAdmin admin, Caller caller, AuditTrail audit) => ControlAsync(name, true, admin, caller, audit);

    private static Task<Results<Ok<QueueControlReply>, ProblemHttpResult>> ResumeAsync(string name, IQueueAdmin admin, Caller caller, AuditTrail audit) => ControlAsync(name, false, admin, caller, audit);

    private static async Task<Results<Ok<QueueControlReply>, ProblemHttpResult>> ControlAsync(string name, bool pause, IQueueAdmin admin, Caller caller, AuditTrail audit)
    {
        if (!caller.IsOperator)
        {
            // Queues are shared by every tenant: only the operator's admin key pauses them.
            return JobResults.Problem(StatusCodes.Status403Forbidden, "Operator only",
                $"Queues are shared by every tenant; pausing or resuming one needs an admin key of the default tenant, not of '{caller.Tenant}'.");
        }

        if (!QueueRouting.IsValidName(name) || await admin.SetPausedAsync(name, pause) is not { } changed)
        {
            return NoSuchQueue(name);
        }

        await audit.RecordAsync(caller, pause ? "queue.pause" : "queue.resume", name);
        return TypedResults.Ok(new QueueControlReply(name, pause, changed));
    }

    private static ProblemHttpResult NoSuchQueue(string name) =>
        JobResults.Problem(StatusCodes.Status404NotFound, "No such queue",
            $"There is no queue '{name}': it is not configured (ExeSys:Queues) and no worker serves or has served it. GET /queues lists them.");
}
