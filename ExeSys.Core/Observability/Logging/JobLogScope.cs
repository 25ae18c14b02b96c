using System.Collections;
using System.Diagnostics;
using ExeSys.Core.Jobs;
using ExeSys.Core.Observability.Tracing;

namespace ExeSys.Core.Observability.Logging;

/// <summary>
/// The logger scope of one attempt (<c>ILogger.BeginScope</c>): every line logged while it runs, by the worker or by
/// the function, names its job with <c>from</c>, <c>job_id</c>, <c>attempt</c>, <c>function</c> and <c>trace_id</c>.
/// The values are read only when a line is written, so a job that logs nothing pays one small allocation.
/// </summary>
public sealed class JobLogScope(ClaimedJob job, Activity? span) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string From = "from";
    public const string JobId = "job_id";
    public const string Attempt = "attempt";
    public const string Function = "function";
    public const string TraceId = "trace_id";

    public int Count => 5;

    /// <summary>The run's span's trace id while tracing is on, else the one stored with the job (the same trace).</summary>
    private string Trace => span?.TraceId.ToHexString() ?? JobTracing.TraceIdOf(job.TraceParent);

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new(From, job.Job.From),
        1 => new(JobId, job.Job.JobId),
        2 => new(Attempt, job.Attempt),
        3 => new(Function, job.Cmd),
        4 => new(TraceId, Trace),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>What the simple console formatter prints for the scope (<c>=> job from:id attempt n …</c>).</summary>
    public override string ToString() =>
        $"job {job.Job.Member} attempt {job.Attempt} function {job.Cmd} trace {Trace}";
}
