using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ExeSys.FunctionalModules;

/// <summary>Everything a function receives about the job it runs.</summary>
public sealed class FunctionContext
{
    /// <summary>Creates a context. Workers build it; tests of a function may build one by hand.</summary>
    public FunctionContext(string from, string jobId, string to, string cmd, JsonElement data, int attempt, ILogger logger, CancellationToken cancellationToken)
        : this(from, jobId, to, cmd, data, attempt, new Dictionary<string, JsonElement>(), null, logger, cancellationToken)
    {
    }

    /// <summary>Creates a context for a job inside a workflow.</summary>
    public FunctionContext(string from, string jobId, string to, string cmd, JsonElement data, int attempt,
        IReadOnlyDictionary<string, JsonElement> inputs, DateTimeOffset? deferredUntil, ILogger logger, CancellationToken cancellationToken)
    {
        Inputs = inputs;
        DeferredUntil = deferredUntil;
        From = from;
        JobId = jobId;
        To = to;
        Cmd = cmd;
        Data = data;
        Attempt = attempt;
        Logger = logger;
        CancellationToken = cancellationToken;
    }

    /// <summary>The client (or workflow step) that submitted the job: the command's <c>from</c>.</summary>
    public string From { get; }

    /// <summary>The client-chosen job id.</summary>
    public string JobId { get; }

    /// <summary>The command's <c>to</c>: <c>end_job</c> for a single job, the next step for a workflow step.</summary>
    public string To { get; }

    /// <summary>The command name that selected this function.</summary>
    public string Cmd { get; }

    /// <summary>The command's <c>data</c>: any JSON value, <see cref="JsonValueKind.Null"/> when absent.</summary>
    public JsonElement Data { get; }

    /// <summary>
    /// In a workflow, the results (EOJ values) of the steps or nodes that led to this one, by name. A graph's start
    /// nodes see the run's own <c>data</c> under <c>start_job</c>. Empty for a single job.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> Inputs { get; }

    /// <summary>When the function asked to be run again later (<see cref="DeferException"/>), the time it asked for; otherwise null.</summary>
    public DateTimeOffset? DeferredUntil { get; }

    /// <summary>The attempt number, 1 on the first run.</summary>
    public int Attempt { get; }

    /// <summary>A logger scoped to the job.</summary>
    public ILogger Logger { get; }

    /// <summary>Signalled when the worker shuts down or the job is cancelled. Long functions must observe it.</summary>
    public CancellationToken CancellationToken { get; }
}
