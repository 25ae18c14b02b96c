using System.Text.Json.Serialization;
using ExeSys.Api.Hosting;
using ExeSys.Api.Security;
using ExeSys.Api.SysCmd;
using ExeSys.Core.Auth;
using ExeSys.Core.Configuration;
using ExeSys.Core.Events;
using Microsoft.Extensions.Options;

namespace ExeSys.Api.Events;

/// <summary><c>POST /events</c>: posts an event that <c>wait_event</c> jobs and workflow nodes are waiting for.</summary>
public static class EventsApi
{
    private static readonly string[] Fields = ["event", "data"];

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/events").WithTags("Events").RequireAuthorization(Scopes.Operate).MapPost("", PostAsync)
            .WithName("PostEvent")
            .WithSummary("Post an event: every wait_event job waiting for it, whose condition holds, finishes with it")
            .WithDescription("""
                Body: {"event": "<name>", "data": <any JSON>}. A wait_event job (data "<name>", or {"event", "when"?,
                "timeout_ms"?}) finishes with {"event", "data", "posted_at", "id"} when an event of its name is posted
                whose data satisfies its "when" (the shape of a workflow edge's condition). Events posted since the job
                was created count, even before it started waiting, for ExeSys:Jobs:EventRetention. The reply lists the
                jobs the event reached; posting the same event again is harmless (a job takes the first event that
                reached it).
                """)
            .Produces<EventReply>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    private static async Task<Results<Ok<EventReply>, ProblemHttpResult>> PostAsync(
        HttpRequest request, IEventStore events, IOptions<ApiOptions> options, IOptions<JobOptions> jobOptions, Caller caller, CancellationToken cancellationToken)
    {
        var (doc, problem) = await JsonBody.ReadAsync(request, options.Value.MaxBodyBytes, "{\"event\", \"data\"}", cancellationToken);
        if (doc is null)
        {
            return problem!;
        }

        using var body = doc;
        var root = doc.RootElement;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        SysCmdRequestReader.CheckFields(root, Fields, errors);
        var name = SysCmdRequestReader.RequireId(root, "event", jobOptions.Value.MaxIdLength, errors);
        var data = SysCmdRequestReader.ReadData(root, errors);

        if (errors.Count > 0)
        {
            return SysCmdRequestReader.Invalid(errors);
        }

        // A tenant's event reaches its own tenant's waiting jobs only (TenantIds.QualifyLike on the waiting side).
        var reached = await events.PostAsync(caller.Qualify(name!), data!);
        return TypedResults.Ok(new EventReply(name!, [.. reached.Select(j => new EventTarget(j.From, TenantIds.Strip(j.JobId)))]));
    }
}

/// <summary>What a posted event reached.</summary>
public sealed record EventReply(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("delivered")] IReadOnlyList<EventTarget> Delivered);

/// <summary>One job a posted event reached.</summary>
public sealed record EventTarget(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("job_id")] string JobId);
