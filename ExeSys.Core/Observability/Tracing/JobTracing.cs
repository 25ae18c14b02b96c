using System.Diagnostics;
using ExeSys.Core.Jobs;

namespace ExeSys.Core.Observability.Tracing;

/// <summary>
/// A job carries its trace, as Hangfire's OpenTelemetry filter does: the submit stores its W3C <c>traceparent</c> with
/// the job (job_submit.lua's field 'tp'; a graph run's in its workflow hash, for every node), and the worker parents the
/// run's span with it, so a submit and the functions it caused are one trace.
/// </summary>
public static class JobTracing
{
    /// <summary>The worker's activity source: one <c>process &lt;function&gt;</c> span per attempt.</summary>
    public const string WorkerSource = "ExeSys.Worker";

    /// <summary>The source of the worker's spans; starting a span from it costs one check while nothing listens.</summary>
    public static readonly ActivitySource Worker = new(WorkerSource);

    /// <summary>Every ExeSys activity source (the API's and the controller's spans are ASP.NET Core's own).</summary>
    public static readonly string[] Sources = [WorkerSource];

    /// <summary>
    /// The current trace context as a W3C <c>traceparent</c>, or "" without one. In the API that is the request's
    /// activity, which ASP.NET Core creates for every request (from the incoming <c>traceparent</c> header, else with a
    /// new trace id) whether or not tracing is on; its id is cached by the activity, so this costs no allocation.
    /// </summary>
    public static string CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id ?? "" : "";

    /// <summary>The trace id of a stored <c>traceparent</c> (<c>00-&lt;trace id&gt;-&lt;span id&gt;-&lt;flags&gt;</c>), or "".</summary>
    public static string TraceIdOf(string traceParent) =>
        traceParent.Length >= 35 && traceParent[2] == '-' ? traceParent.Substring(3, 32) : "";

    /// <summary>
    /// Starts the span of one attempt: kind Consumer, the child of the job's stored trace context and linked to it, as
    /// the OpenTelemetry messaging conventions have a <c>process</c> span do with its message's creation context. So
    /// retries, runner restarts (each a new attempt) and graph nodes (whose context is their run's) are linked spans in
    /// the submit's trace. Null, at the cost of one check, when nothing listens to <see cref="WorkerSource"/>.
    /// </summary>
    public static Activity? StartAttempt(ClaimedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!Worker.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(job.TraceParent, null, isRemote: true, out var parent);

        // Most jobs' submits were not sampled (the sampler keeps MaxTracesPerSecond new traces), and their spans only
        // carry the context: the link and the span's name are built for a recorded span alone.
        var recorded = (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0;
        ActivityLink[]? links = recorded ? [new ActivityLink(parent)] : null;
        var activity = Worker.StartActivity(ActivityKind.Consumer, parent, links: links, name: "process");
        if (activity is { IsAllDataRequested: true })
        {
            activity.DisplayName = "process " + job.Cmd;
            activity.SetTag("messaging.system", "exesys");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", job.Queue);
            activity.SetTag("messaging.message.id", job.Job.Member);
            activity.SetTag("exesys.function", job.Cmd);
            activity.SetTag("exesys.job.from", job.Job.From);
            activity.SetTag("exesys.job.id", job.Job.JobId);
            activity.SetTag("exesys.attempt", job.Attempt);
            activity.SetTag("exesys.retry", job.Attempt > 1);
            activity.SetTag("exesys.graph_node", job.NextJson.Length > 0);
        }

        return activity;
    }

    /// <summary>Records how the attempt ended on its span: <c>exesys.outcome</c>, and an error status unless it went well.</summary>
    public static void End(Activity? activity, string outcome, string? error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("exesys.outcome", outcome);
        if (error is not null)
        {
            activity.SetTag("error.type", outcome);
            activity.SetStatus(ActivityStatusCode.Error, error);
        }
    }
}
